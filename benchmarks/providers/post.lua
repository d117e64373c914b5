-- wrk: POST a chat completion (non-stream, 20 output tokens).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench"
wrk.body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Tell me about the weather today."}],"max_tokens":20}'
