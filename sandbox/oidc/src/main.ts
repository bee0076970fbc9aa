import { startOidcSandbox } from './provider.ts';

const port = Number(process.env.PORT ?? 4100);
const sandbox = await startOidcSandbox({
  port,
  host: process.env.HOST ?? '127.0.0.1',
  issuerUrl: process.env.OIDC_ISSUER_URL || undefined,
  defaultUser: {
    email: process.env.OIDC_DEMO_EMAIL || 'google.fan@tiketi.local',
    name: process.env.OIDC_DEMO_NAME || 'Google Fan',
  },
});
process.stdout.write(
  `sandbox OpenID provider (stands in for Google) at ${sandbox.issuerUrl}; add login_hint=<email> to sign in as anyone\n`,
);
const stop = () => {
  sandbox.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
