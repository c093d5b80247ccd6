// A throwaway CA and a server certificate for 127.0.0.1 / localhost, made with openssl in a temp
// directory for one test run (no key is ever committed).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export type TestCertificates = { ca: string; cert: string; key: string; otherCa: string };

/** Writes ca.crt, server.crt, server.key (signed by ca) and other-ca.crt (an unrelated CA) into `dir`. */
export function makeTestCertificates(openssl: string, dir: string): TestCertificates {
  const file = (name: string) => path.join(dir, name);
  const run = (args: string[]) => execFileSync(openssl, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const selfSigned = (name: string, cn: string) =>
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${cn}`, '-keyout', file(`${name}.key`), '-out', file(`${name}.crt`)]);
  selfSigned('ca', 'heatpump-test-ca');
  selfSigned('other-ca', 'someone-else-ca');
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', file('server.key'), '-out', file('server.csr')]);
  fs.writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run(['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', file('server.ext'), '-out', file('server.crt')]);
  return { ca: file('ca.crt'), cert: file('server.crt'), key: file('server.key'), otherCa: file('other-ca.crt') };
}
