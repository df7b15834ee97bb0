// A partner's TypeScript integration, typed only by the generated schema: no casts, no `any`.
import createClient from "openapi-fetch";
import type { paths } from "./schema";

const baseUrl = process.env.IDUNOX_API ?? "http://localhost:5080";
const email = process.env.IDUNOX_EMAIL ?? "partner@demo.test";
const password = process.env.IDUNOX_PASSWORD ?? "demo-partner-password";

function fail(message: string): never {
  throw new Error(message);
}

const api = createClient<paths>({ baseUrl });
const login = await api.POST("/v1/partner/auth/login", { body: { email, password } });
if (!login.data) fail(`sign-in refused: ${login.error?.code}`);
const headers = { Authorization: `Bearer ${login.data.accessToken}` };

const standard = await api.POST("/v1/partner/credentials", { headers, body: { name: "ts default validity" } });
if (!standard.data) fail(`create refused: ${standard.error?.code}`);
const created = await api.POST("/v1/partner/credentials", { headers, body: { name: "ts orders feed", expiresInDays: 90 } });
if (!created.data) fail(`create refused: ${created.error?.code}`);
const id: string = created.data.credential.id;
// What the key may call is typed too: "full", or "restricted" to the scopes listed.
const access: string = created.data.credential.access;
const scopes: string[] = created.data.credential.scopes;
if (access !== "full" || scopes.length !== 0) fail(`a key made without scopes has full access, not ${access} ${scopes.join(",")}`);

const probe = await api.GET("/v1/partner-auth-probe", { headers: { "X-Api-Key": created.data.apiKey } });
if (!probe.data || probe.data.credential.id !== id) fail("the probe did not recognise the new key");

const rotated = await api.POST("/v1/partner/credentials/{id}/rotate", { headers, params: { path: { id } }, body: { graceHours: 48 } });
if (!rotated.data) fail(`rotate refused: ${rotated.error?.code}`);
const again = await api.POST("/v1/partner/credentials/{id}/rotate", { headers, params: { path: { id } }, body: {} });
// The error's code is typed as the union of the codes the document lists for this operation and status.
const code: "key_not_rotatable" | "key_not_found" | "validation_failed" | "malformed_request" | "unauthorized" | "invalid_token"
  | "payload_too_large" | "unsupported_media_type" | "internal_error" | "service_unavailable" | undefined = again.error?.code;
if (code !== "key_not_rotatable") fail(`expected key_not_rotatable, got ${code}`);

const revoked = await api.POST("/v1/partner/credentials/{id}/revoke", { headers, params: { path: { id: rotated.data.credential.id } } });
if (revoked.data?.credential.status !== "revoked") fail("revoke did not revoke");
const list = await api.GET("/v1/partner/credentials", { headers, params: { query: { status: "all" } } });
const audit = await api.GET("/v1/partner/audit", { headers });
if (!list.data || !audit.data) fail("list or audit refused");
console.log(`lifecycle done: ${list.data.total} keys, ${audit.data.total} audit events, rotate again answered ${code}`);
