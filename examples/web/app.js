// Signs in (here: the test issuer's token endpoint; in a real frontend, your
// OpenID Connect library's access token), then asks the service across
// origins with the typed client. `?api=` and `?issuer=` say where both are.
import { createClient, ProblemError } from "./client/index.js";

const params = new URLSearchParams(location.search);
const api = params.get("api") ?? "http://127.0.0.1:8080";
const issuer = params.get("issuer") ?? "http://127.0.0.1:9000";
const show = (id, text) => (document.getElementById(id).textContent = text);

async function accessToken() {
  const response = await fetch(`${issuer}/token`);
  return (await response.json()).access_token;
}

try {
  const client = createClient({ baseUrl: api, token: accessToken });
  show("status", "Asking…");
  const { data } = await client.POST("/preferreditem", {
    body: { bricks: [{ design_id: 1, color_codes: [1, 2] }, { design_id: 2, color_codes: [3, 4] }] },
    signal: AbortSignal.timeout(10_000),
  });
  show("result", `Preferred: ${data.preferred_item.identifier} (${data.item_info.status}, ${data.item_info.price}) of ${data.candidates} candidate(s)`);
  show("status", "Done.");
} catch (error) {
  show("status", "Failed.");
  show("error", error instanceof ProblemError ? `${error.status}: ${error.detail}` : String(error));
}
