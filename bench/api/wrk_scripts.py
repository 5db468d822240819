"""wrk Lua scripts: each connection walks its own slice of pre-generated requests, so a check-in is
answered once per (user, goal) — the benchmark measures real writes, not "already checked in" 400s."""

from __future__ import annotations

from pathlib import Path

# Requests are read from a file of lines "METHOD\tPATH\tTOKEN\tBODY"; thread i takes lines i, i+T, …
LUA_TEMPLATE = r"""
local requests_file = "{requests_file}"
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  lines = {{}}
  local index = 0
  for line in io.lines(requests_file) do
    if index % {thread_count} == (id - 1) then table.insert(lines, line) end
    index = index + 1
  end
  position = 0
end

function request()
  position = position + 1
  if position > #lines then position = 1 end
  local method, path, token, body = lines[position]:match("([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)")
  local headers = {{}}
  headers["Authorization"] = "Bearer " .. token
  if body ~= "" then headers["Content-Type"] = "application/json" else body = nil end
  return wrk.format(method, path, headers, body)
end
"""


def write_script(directory: Path, name: str, lines: list[str], thread_count: int) -> Path:
    requests_file = directory / f"{name}.requests"
    requests_file.write_text("\n".join(lines) + "\n")
    script = directory / f"{name}.lua"
    script.write_text(LUA_TEMPLATE.format(requests_file=requests_file, thread_count=thread_count))
    return script
