-- GET with an optional authorization header (a service's own REST list).
wrk.method = "GET"
local auth = os.getenv("WRK_AUTHORIZATION")
if auth and auth ~= "" then wrk.headers["authorization"] = auth end
dofile(os.getenv("WRK_SCRIPTS") .. "/errors.lua")
