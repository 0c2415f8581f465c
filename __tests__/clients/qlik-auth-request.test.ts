import { describe, expect, it } from 'vitest';
import { parseInputs } from '../../src/inputs.js';
import { DEFAULT_QLIK_AUTH_REQUEST, parseQlikAuthRequest, renderQlikAuthRequest } from '../../src/talend/qlik-auth-request.js';

function read(text: string): { problems: string[]; value: ReturnType<typeof parseQlikAuthRequest> } {
  const problems: string[] = [];
  const value = parseQlikAuthRequest(text, (p) => problems.push(p));
  return { problems, value };
}

const VALUES = { clientId: 'cid-1', clientSecret: 'se"cr\\et {{clientId}}', qlikTenantUrl: 'https://t.eu.qlikcloud.com' };

describe('talend-qlik-auth-request', () => {
  it('without a description, the request is today\'s PUT {"clientId","clientSecret"}', () => {
    const rendered = renderQlikAuthRequest(DEFAULT_QLIK_AUTH_REQUEST, VALUES);
    expect(rendered).toEqual({ method: 'PUT', json: { clientId: 'cid-1', clientSecret: VALUES.clientSecret }, headers: {} });
  });

  it('renders placeholders in the parsed body, so JSON escaping is always right, and never re-expands a value', () => {
    const { problems, value } = read('{"method":"POST","body":{"qlik":{"id":"{{clientId}}","secret":"{{clientSecret}}"},"tenant":"{{qlikTenantUrl}}","n":[1,"{{clientId}}"]}}');
    expect(problems).toEqual([]);
    const rendered = renderQlikAuthRequest(value, VALUES);
    expect(rendered.method).toBe('POST');
    expect(rendered.json).toEqual({ qlik: { id: 'cid-1', secret: VALUES.clientSecret }, tenant: VALUES.qlikTenantUrl, n: [1, 'cid-1'] });
    expect(JSON.parse(JSON.stringify(rendered.json))).toEqual(rendered.json);
  });

  it('a form body: a flat object, extra headers (names lower-cased), success statuses', () => {
    const { problems, value } = read('{"method":"PATCH","contentType":"form","body":{"client_id":"{{clientId}}","client_secret":"{{clientSecret}}","connect":true},"headers":{"X-Requested-With":"XMLHttpRequest"},"success":[200,204]}');
    expect(problems).toEqual([]);
    expect(value.success).toEqual([200, 204]);
    expect(renderQlikAuthRequest(value, VALUES)).toEqual({
      method: 'PATCH',
      form: { client_id: 'cid-1', client_secret: VALUES.clientSecret, connect: 'true' },
      headers: { 'x-requested-with': 'XMLHttpRequest' },
    });
  });

  it("reads 'stored' and 'refused': a JSON pointer into a 2xx answer and the value it must hold", () => {
    const { problems, value } = read('{"body":{"s":"{{clientSecret}}"},"stored":{"pointer":"/status","equals":"OK"},"refused":{"pointer":"/errors/0/code","equals":403}}');
    expect(problems).toEqual([]);
    expect(value.stored).toEqual({ pointer: '/status', equals: 'OK' });
    expect(value.refused).toEqual({ pointer: '/errors/0/code', equals: 403 });
  });

  it.each([
    ['not JSON', '{"method": "PUT"', /not valid JSON/],
    ['not an object', '["PUT"]', /must be a JSON object/],
    ['an unknown field', '{"url":"x","body":{"s":"{{clientSecret}}"}}', /only the fields/],
    ['a method TMC cannot take here', '{"method":"DELETE","body":{"s":"{{clientSecret}}"}}', /'method' must be one of PUT, POST, PATCH/],
    ['an unknown placeholder', '{"body":{"s":"{{clientSecret}}","t":"{{token}}"}}', /placeholder other than/],
    ['a body without the secret', '{"body":{"id":"{{clientId}}"}}', /must contain \{\{clientSecret\}\}/],
    ['a nested form body', '{"contentType":"form","body":{"a":{"b":"{{clientSecret}}"}}}', /flat object/],
    ['an Authorization header', '{"body":{"s":"{{clientSecret}}"},"headers":{"Authorization":"Bearer x"}}', /must not set authorization/],
    ['a Cookie header', '{"body":{"s":"{{clientSecret}}"},"headers":{"cookie":"JSESSIONID=x"}}', /must not set/],
    ['a Host header', '{"body":{"s":"{{clientSecret}}"},"headers":{"HOST":"evil.example"}}', /must not set/],
    ['a header value with a line break', '{"body":{"s":"{{clientSecret}}"},"headers":{"X-A":"a\\nb"}}', /printable one-line/],
    ['a success status outside 2xx', '{"body":{"s":"{{clientSecret}}"},"success":[302]}', /2xx statuses/],
    ['an empty success list', '{"body":{"s":"{{clientSecret}}"},"success":[]}', /2xx statuses/],
    ['a hop-by-hop Transfer-Encoding header', '{"body":{"s":"{{clientSecret}}"},"headers":{"Transfer-Encoding":"chunked"}}', /hop-by-hop/],
    ['a Connection header', '{"body":{"s":"{{clientSecret}}"},"headers":{"Connection":"close"}}', /hop-by-hop/],
    ['the secret in a header, where proxies log it', '{"body":{"s":"{{clientSecret}}"},"headers":{"X-Qlik":"{{clientSecret}}"}}', /must not hold a placeholder/],
    ['a stored condition without a pointer', '{"body":{"s":"{{clientSecret}}"},"stored":{"equals":1}}', /'stored' must be/],
    ['a refused condition whose pointer is none', '{"body":{"s":"{{clientSecret}}"},"refused":{"pointer":"status","equals":1}}', /'refused' must be/],
  ])('refuses %s', (_label, text, problem) => {
    expect(read(text).problems.join(' ')).toMatch(problem);
  });

  it('every problem names the input and quotes none of its text', () => {
    const marker = 'Zq9Marker';
    const raw = {
      'qlik-tenant-url': 'https://acme.eu.qlikcloud.com',
      'qlik-api-key': 'qlik-key-value',
      'talend-token': 'talend-token-value',
      'talend-region': 'eu',
      'talend-qlik-auth-url': '/tmc/qlik-auth',
      'talend-qlik-auth-request': `{"${marker}":1,"headers":{"Cookie":"${marker}"},"body":{"s":"{{${marker}}}"}}`,
    };
    let message = '';
    try {
      parseInputs(raw);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n').length).toBeGreaterThanOrEqual(3);
    for (const line of message.split('\n')) expect(line.startsWith("Input 'talend-qlik-auth-request' ")).toBe(true);
    expect(message).not.toContain(marker);
  });
});
