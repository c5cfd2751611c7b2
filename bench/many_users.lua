-- wrk script for the many-users scenarios of bench/run.py:
--   wrk -s bench/many_users.lua URL -- DATA_FILE SEED
-- Each request picks a user at random (uniformly) and one of that user's pages at
-- random (by weight). DATA_FILE, written by bench/run.py, holds lines
--   page <set> <weight> <path>     a page of the page set numbered <set>
--   user <set> <cookie or ->       a user who moves through page set <set>
-- Anything but a 200 is counted and reported as "bench-non-200: N": a page that
-- redirects to the login form must not pass for a fast page.

local threads = {}

function setup(thread)
   thread:set("id", #threads + 1)
   table.insert(threads, thread)
end

local sets, users = {}, {}

function init(args)
   local file, seed = args[1], tonumber(args[2] or "1")
   -- A different, reproducible sequence in each thread.
   math.randomseed(seed * 1000 + id)
   local host = wrk.headers["Host"]
   for line in io.lines(file) do
      local kind, set, rest = line:match("^(%a+) (%d+) (.+)$")
      set = tonumber(set)
      if kind == "page" then
         local weight, path = rest:match("^(%S+) (%S+)$")
         sets[set] = sets[set] or { total = 0, cumulative = {}, heads = {} }
         local s = sets[set]
         s.total = s.total + tonumber(weight)
         table.insert(s.cumulative, s.total)
         -- The request up to the cookie, built once: request() only concatenates.
         table.insert(s.heads, "GET " .. path .. " HTTP/1.1\r\nHost: " .. host
            .. "\r\nAccept-Encoding: gzip\r\n")
      elseif kind == "user" then
         local cookie = rest == "-" and "" or ("Cookie: " .. rest .. "\r\n")
         table.insert(users, { set = set, cookie = cookie })
      end
   end
   non200 = 0
end

function request()
   local user = users[math.random(#users)]
   local s = sets[user.set]
   local target = math.random() * s.total
   local low, high = 1, #s.cumulative
   while low < high do
      local middle = math.floor((low + high) / 2)
      if s.cumulative[middle] < target then low = middle + 1 else high = middle end
   end
   return s.heads[low] .. user.cookie .. "\r\n"
end

function response(status, headers, body)
   if status ~= 200 then
      non200 = non200 + 1
   end
end

function done(summary, latency, requests)
   local total = 0
   for _, thread in ipairs(threads) do
      total = total + thread:get("non200")
   end
   io.write(string.format("bench-non-200: %d\n", total))
end
