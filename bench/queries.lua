-- wrk script for bench/catalog.py: every request is a different path from a file.
--
--   wrk -t2 -c32 -d10s -s bench/queries.lua http://127.0.0.1:8000 -- PATHS_FILE THREADS
--
-- PATHS_FILE holds one request path per line (already URL-encoded, e.g.
-- /catalog?q=rattan%20basket). Thread n of THREADS sends lines n, n + THREADS, n + 2 THREADS
-- ... in turn, so no path is sent twice until a thread has used all of its share; then it
-- starts its share again. Headers given with -H (a Cookie, say) are sent with each request.
-- At the end it prints one line that bench/catalog.py reads:
--   queries: sent N, distinct D, repeated R, available A

local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("tid", counter)
   table.insert(threads, thread)
end

function init(args)
   local file = args[1]
   local nthreads = tonumber(args[2]) or 1
   paths = {}
   local n = 0
   for line in io.lines(file) do
      if line ~= "" then
         n = n + 1
         if (n - 1) % nthreads == tid - 1 then
            paths[#paths + 1] = line
         end
      end
   end
   if #paths == 0 then
      paths[1] = "/healthz"
   end
   available = #paths
   sent = 0
end

function request()
   sent = sent + 1
   local path = paths[((sent - 1) % available) + 1]
   return wrk.format("GET", path)
end

function done(summary, latency, requests)
   local total, distinct, available_all = 0, 0, 0
   for _, thread in ipairs(threads) do
      local s = thread:get("sent") or 0
      local a = thread:get("available") or 0
      total = total + s
      distinct = distinct + math.min(s, a)
      available_all = available_all + a
   end
   io.write(string.format("queries: sent %d, distinct %d, repeated %d, available %d\n",
                          total, distinct, total - distinct, available_all))
end
