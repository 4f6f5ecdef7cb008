-- wrk script for the unit search: rotates queries, sends the API token in $TOK.
--   TOK=trm_… wrk -t2 -c100 -d10s --latency -s bench/units.lua http://127.0.0.1:8111
local qs = {"ba%20dinh","hoan%20kiem","tan%20phu","phuong%201","hue","xa%20an","dinh%20ba","00004","son","cu%20mgar","truong%20sa","long","ninh","phu","binh%20thanh"}
local tok = os.getenv("TOK")
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/units?q=" .. qs[(i % #qs) + 1], {["Authorization"] = "Bearer " .. tok})
end
