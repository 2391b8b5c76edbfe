// Certificates made with the openssl command line, offline, for mutual TLS tests: a CA, client and
// server certificates it issues (with any validity period, so expired and not-yet-valid ones too),
// and self-signed client certificates. EC P-256 keys, which openssl makes in milliseconds.
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Certificate {
  /** Files for curl --cert/--key, nginx and Gatehouse. */
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
  /** cnf.x5t#S256 of a token bound to this certificate. */
  thumbprint: string;
  /** What nginx forwards as $ssl_client_escaped_cert. */
  escaped: string;
}

export interface CertificateOptions {
  /** openssl's -subj form, first RDN first: "/O=Example/CN=svc" is RFC 4514 "CN=svc,O=Example". */
  subject: string;
  /** subjectAltName, e.g. "DNS:svc.example.com,URI:spiffe://example.com/svc". */
  san?: string;
  /** openssl ca dates, YYYYMMDDHHMMSSZ; default: from an hour ago, for a day. */
  notBefore?: string;
  notAfter?: string;
  /** extendedKeyUsage; default clientAuth. */
  usage?: string;
  /** The subject has multi-valued RDNs ("/CN=svc+serialNumber=1"). */
  multiValued?: boolean;
}

function stamp(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

export function daysFromNow(days: number): string {
  return stamp(new Date(Date.now() + days * 86_400_000));
}

async function describe(certFile: string, keyFile: string): Promise<Certificate> {
  const certPem = await readFile(certFile, 'utf8');
  const certificate = new X509Certificate(certPem);
  return {
    certFile,
    keyFile,
    certPem,
    keyPem: await readFile(keyFile, 'utf8'),
    thumbprint: createHash('sha256').update(certificate.raw).digest('base64url'),
    escaped: encodeURIComponent(certPem),
  };
}

async function newKey(file: string): Promise<void> {
  await run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
}

/** A certificate authority in `dir`, which can then issue certificates. */
export class TestCa {
  private constructor(readonly dir: string, readonly root: Certificate) {}

  static async create(dir: string, subject = '/O=Example/CN=Example Test CA'): Promise<TestCa> {
    await mkdir(join(dir, 'newcerts'), { recursive: true });
    await writeFile(join(dir, 'index.txt'), '');
    await writeFile(join(dir, 'serial'), '1000\n');
    await writeFile(join(dir, 'ca.cnf'), `[ca]
default_ca = test_ca
[test_ca]
dir = ${dir}
database = ${dir}/index.txt
new_certs_dir = ${dir}/newcerts
serial = ${dir}/serial
default_md = sha256
policy = any_policy
unique_subject = no
[any_policy]
commonName = supplied
`);
    const keyFile = join(dir, 'ca.key');
    const certFile = join(dir, 'ca.pem');
    await newKey(keyFile);
    await run('openssl', ['req', '-x509', '-new', '-key', keyFile, '-out', certFile, '-subj', subject, '-days', '30',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    return new TestCa(dir, await describe(certFile, keyFile));
  }

  async issue(name: string, options: CertificateOptions): Promise<Certificate> {
    const keyFile = join(this.dir, `${name}.key`);
    const csrFile = join(this.dir, `${name}.csr`);
    const certFile = join(this.dir, `${name}.pem`);
    const extFile = join(this.dir, `${name}.ext`);
    await newKey(keyFile);
    await run('openssl', ['req', '-new', '-key', keyFile, '-out', csrFile, '-subj', options.subject, ...(options.multiValued ? ['-multivalue-rdn'] : [])]);
    await writeFile(extFile, `[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = ${options.usage ?? 'clientAuth'}
${options.san ? `subjectAltName = ${options.san}\n` : ''}`);
    await run('openssl', ['ca', '-batch', '-notext', '-preserveDN', '-config', join(this.dir, 'ca.cnf'),
      '-cert', this.root.certFile, '-keyfile', this.root.keyFile, '-in', csrFile, '-out', certFile,
      '-startdate', options.notBefore ?? stamp(new Date(Date.now() - 3_600_000)), '-enddate', options.notAfter ?? daysFromNow(1),
      '-extfile', extFile, '-extensions', 'ext']);
    return describe(certFile, keyFile);
  }
}

/** A self-signed client certificate, as a self_signed_tls_client_auth client makes its own. */
export async function selfSigned(dir: string, name: string, subject: string): Promise<Certificate> {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.pem`);
  await newKey(keyFile);
  await run('openssl', ['req', '-x509', '-new', '-key', keyFile, '-out', certFile, '-subj', subject, '-days', '2']);
  return describe(certFile, keyFile);
}

/** The JWKS a self-signed client registers: its public key, with the certificate in x5c. */
export function jwksOf(certificate: Certificate): { keys: Record<string, unknown>[] } {
  const parsed = new X509Certificate(certificate.certPem);
  const jwk = parsed.publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  return { keys: [{ ...jwk, x5c: [parsed.raw.toString('base64')] }] };
}
