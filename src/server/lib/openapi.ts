import type { RouteOptions } from 'fastify';

/** A route as the docs see it, recorded by buildServer's onRoute hook from the validating schemas. */
export interface RouteDoc {
  method: string;
  url: string;
  scope?: string;
  summary?: string;
  tags?: string[];
  query?: Record<string, Record<string, unknown>>;
  params?: Record<string, Record<string, unknown>>;
}

export function routeDoc(route: RouteOptions): RouteDoc | undefined {
  const methods = ([] as string[]).concat(route.method);
  // `all` routes (the proxy) are documented by their one allowed method.
  const method = methods.length > 1 ? 'GET' : methods[0]!;
  if (method === 'HEAD') return undefined;
  const schema = (route.schema ?? {}) as { summary?: string; tags?: string[]; querystring?: { properties?: Record<string, Record<string, unknown>> }; params?: { properties?: Record<string, Record<string, unknown>> } };
  const scope = (route.config as { scope?: string } | undefined)?.scope;
  return {
    method, url: route.url,
    ...(scope ? { scope } : {}),
    ...(schema.summary ? { summary: schema.summary } : {}),
    ...(schema.tags ? { tags: schema.tags } : {}),
    ...(schema.querystring?.properties ? { query: schema.querystring.properties } : {}),
    ...(schema.params?.properties ? { params: schema.params.properties } : {}),
  };
}

const ERRORS = {
  400: 'a bad parameter: { error: "BAD_PARAMETER", parameter, message }',
  401: 'no valid API key',
  403: 'the key lacks the scope',
  404: 'not found, or another tenant\'s',
};

/** The OpenAPI 3 document, built from the same schemas Fastify validates with. */
export function openApiDocument(routes: RouteDoc[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z_]+)/g, '{$1}').replace(/\/\*$/, '/{navanPath}');
    const parameters = [
      ...Object.entries(r.params ?? {}).map(([name, schema]) => ({ name, in: 'path', required: true, description: schema.description, schema })),
      ...(r.url.endsWith('/*') ? [{ name: 'navanPath', in: 'path', required: true, description: 'a documented Navan path, e.g. v1/bookings', schema: { type: 'string' } }] : []),
      ...Object.entries(r.query ?? {}).map(([name, schema]) => ({ name, in: 'query', required: false, description: schema.description, schema })),
    ];
    const responses: Record<string, { description: string }> = { 200: { description: 'JSON: { data, freshness } (lists add nextCursor); Accept: text/csv on lists streams CSV' } };
    if (r.query || r.params) responses[400] = { description: ERRORS[400] };
    if (r.scope) Object.assign(responses, { 401: { description: ERRORS[401] }, 403: { description: ERRORS[403] } });
    if (r.params) responses[404] = { description: ERRORS[404] };
    paths[path] = {
      ...paths[path],
      [r.method.toLowerCase()]: {
        summary: r.summary ?? '', tags: r.tags ?? [], parameters, responses,
        ...(r.scope ? { security: [{ bearer: [] }, { apiKey: [] }], 'x-scope': r.scope } : {}),
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'navan-bridge consumer API', version, description: 'Bookings, transactions, users, trips and reports of the API key\'s tenant, served from the warehouse; plus the credential-injecting Navan proxy.' },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key>' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
      },
    },
    paths,
  };
}

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A plain, dependency-free docs page rendered from the OpenAPI document. */
export function docsPage(doc: Record<string, unknown>): string {
  const paths = doc.paths as Record<string, Record<string, { summary: string; parameters: { name: string; in: string; description?: string; schema: Record<string, unknown> }[]; 'x-scope'?: string }>>;
  const sections = Object.entries(paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => `
  <section>
    <h2><span class="m">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h2>
    <p>${esc(op.summary)}</p>
    <p class="scope">${op['x-scope'] ? `API key with scope <code>${esc(op['x-scope'])}</code>` : 'no key needed'}</p>
    ${op.parameters.length ? `<table><tr><th>parameter</th><th>in</th><th>expected</th></tr>${op.parameters.map((p) => `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${esc(p.description ?? p.schema.type)}${p.schema.default !== undefined ? ` (default ${esc(p.schema.default)})` : ''}</td></tr>`).join('')}</table>` : ''}
  </section>`));
  const info = doc.info as { title: string; description: string };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info.title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1d2330}
h1{font-size:1.6rem}h2{font-size:1.05rem;margin:0}section{border:1px solid #dde2ea;border-radius:8px;padding:.8rem 1rem;margin:1rem 0}
.m{display:inline-block;min-width:3.5rem;color:#fff;background:#2463eb;border-radius:4px;text-align:center;font-size:.8rem;padding:.1rem .3rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border-top:1px solid #eef1f5;padding:.3rem .4rem;text-align:left;vertical-align:top}
.scope{color:#5b6475;font-size:.85rem}code{font-size:.9em}
</style></head><body>
<h1>${esc(info.title)}</h1>
<p>${esc(info.description)} Errors are <code>{ error, message, parameter? }</code>. The machine-readable document is <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
${sections.join('\n')}
</body></html>`;
}
