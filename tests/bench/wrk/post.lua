-- POST one fixed JSON body (WRK_BODY) with optional auth headers; used for {__typename} and pages.
wrk.method = "POST"
wrk.body = os.getenv("WRK_BODY") or "{}"
wrk.headers["content-type"] = "application/json"
local auth = os.getenv("WRK_AUTHORIZATION")
if auth and auth ~= "" then wrk.headers["authorization"] = auth end

dofile(os.getenv("WRK_SCRIPTS") .. "/errors.lua")
