// A test OpenID Connect issuer: an RSA key made here, its JWKS, and a token
// endpoint, served over HTTP on 127.0.0.1 (allowed outside production).

import { generateKeyPairSync, sign } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export const AUDIENCE = "catalog-web";

export interface Issuer {
  url: string;
  jwksUrl: string;
  token(scope: string, sub?: string): string;
  close(): Promise<void>;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

export async function startIssuer(): Promise<Issuer> {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: "jwk" }), kid: "test-1", alg: "RS256", use: "sig" };
  let url = "";
  const token = (scope: string, sub = "frontend-user") => {
    const now = Math.floor(Date.now() / 1000);
    // An access token (RFC 9068): the service refuses anything else.
    const header = b64url(JSON.stringify({ alg: "RS256", typ: "at+jwt", kid: "test-1" }));
    const claims = b64url(
      JSON.stringify({ iss: url, sub, aud: AUDIENCE, scope, iat: now, exp: now + 300 }),
    );
    const signature = sign("sha256", Buffer.from(`${header}.${claims}`), privateKey);
    return `${header}.${claims}.${b64url(signature)}`;
  };
  const server: Server = createServer((req, res) => {
    res.setHeader("Access-Control-Allow-Origin", "*");
    if (req.url === "/jwks.json") {
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ keys: [jwk] }));
    } else if (req.url?.startsWith("/token")) {
      // A stand-in for the provider's sign-in: a read-scoped access token.
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ access_token: token("preferred-item/read"), token_type: "Bearer" }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    jwksUrl: `${url}/jwks.json`,
    token,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
