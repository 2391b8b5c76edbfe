// A small scripted browser for the server-rendered pages: keeps cookies per origin, follows
// redirects by hand (so a test can stop at the client's redirect_uri), and submits forms found in
// the HTML the way a person pressing a button would.
export interface Page {
  url: string;
  status: number;
  html: string;
  headers: Headers;
}

interface Form {
  action: string;
  method: string;
  fields: Map<string, string>;
  buttons: { name?: string; value?: string; text: string }[];
}

function decode(value: string): string {
  return value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x2F;/g, '/').replace(/&amp;/g, '&');
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`, 'i').exec(tag);
  return match ? decode(match[2] ?? match[3] ?? '') : undefined;
}

export function parseForms(html: string, baseUrl: string): Form[] {
  const forms: Form[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const [, attrs, body] = match;
    const fields = new Map<string, string>();
    for (const input of body.matchAll(/<input\b[^>]*>/gi)) {
      const name = attribute(input[0], 'name');
      if (name) fields.set(name, attribute(input[0], 'value') ?? '');
    }
    const buttons = [...body.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)].map((b) => ({
      name: attribute(b[0], 'name'),
      value: attribute(b[0], 'value'),
      text: b[2].replace(/<[^>]+>/g, '').trim(),
    }));
    forms.push({
      action: new URL(attribute(`<form ${attrs}>`, 'action') ?? baseUrl, baseUrl).href,
      method: (attribute(`<form ${attrs}>`, 'method') ?? 'get').toLowerCase(),
      fields,
      buttons,
    });
  }
  return forms;
}

export class Browser {
  #cookies = new Map<string, Map<string, string>>();

  constructor(private readonly stopAt: (url: URL) => boolean = () => false) {}

  #cookieHeader(url: URL): string {
    const jar = this.#cookies.get(url.origin);
    return jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }

  #store(url: URL, headers: Headers): void {
    const jar = this.#cookies.get(url.origin) ?? new Map<string, string>();
    for (const line of headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || attrs.some((a) => /^\s*max-age=0/i.test(a));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    this.#cookies.set(url.origin, jar);
  }

  cookies(origin: string): Map<string, string> {
    return new Map(this.#cookies.get(origin) ?? []);
  }

  /** Plants cookies, e.g. ones copied from another browser, as an attacker replaying them would. */
  setCookies(origin: string, cookies: Map<string, string>): void {
    const jar = this.#cookies.get(origin) ?? new Map<string, string>();
    for (const [name, value] of cookies) jar.set(name, value);
    this.#cookies.set(origin, jar);
  }

  /** Requests a URL and follows redirects until a page, or until `stopAt` matches a Location. */
  async request(url: string, init: { method?: string; body?: URLSearchParams } = {}): Promise<Page> {
    let target = new URL(url);
    let method = init.method ?? 'GET';
    let body: URLSearchParams | undefined = init.body;
    for (let hops = 0; hops < 20; hops += 1) {
      if (this.stopAt(target)) return { url: target.href, status: 0, html: '', headers: new Headers() };
      const headers: Record<string, string> = { accept: 'text/html' };
      const cookie = this.#cookieHeader(target);
      if (cookie) headers.cookie = cookie;
      if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
      const response = await fetch(target, { method, headers, body, redirect: 'manual' });
      this.#store(target, response.headers);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        target = new URL(location, target);
        if (response.status !== 307 && response.status !== 308) {
          method = 'GET';
          body = undefined;
        }
        await response.arrayBuffer();
        continue;
      }
      return { url: target.href, status: response.status, html: await response.text(), headers: response.headers };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Submits the form holding the button with this text, with these field values typed in. */
  async submit(page: Page, buttonText: string, values: Record<string, string> = {}): Promise<Page> {
    const form = parseForms(page.html, page.url).find((f) => f.buttons.some((b) => b.text === buttonText));
    if (!form) throw new Error(`no form with a "${buttonText}" button on ${page.url}:\n${page.html}`);
    const button = form.buttons.find((b) => b.text === buttonText);
    const data = new URLSearchParams();
    for (const [name, value] of form.fields) data.set(name, value);
    for (const [name, value] of Object.entries(values)) data.set(name, value);
    if (button?.name) data.set(button.name, button.value ?? '');
    if (form.method === 'get') {
      const target = new URL(form.action);
      for (const [k, v] of data) target.searchParams.set(k, v);
      return this.request(target.href);
    }
    return this.request(form.action, { method: 'POST', body: data });
  }
}

/** The text of the <label> pointing at each input, to check pages name their fields as documented. */
export function labels(html: string): string[] {
  return [...html.matchAll(/<label\b[^>]*>([\s\S]*?)<\/label>/gi)].map((m) => m[1].replace(/<[^>]+>/g, '').trim());
}
