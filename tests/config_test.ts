import { deepEqual, equal, match, throws } from "node:assert/strict";
import {
  ConfigError,
  loadSitesConfig,
  maskSecrets,
  maskUri,
  parseSitesConfig,
  publicSite,
  selectSite,
  siteSecrets,
} from "../lib/config.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];
const parse = (text: string, vars: Record<string, string> = {}) =>
  parseSitesConfig(text, { file: "etc/test.yaml", env: env(vars), cwd: "/srv/ledger" });

const GOOD = `sites:
  demo:
    site_name: CHI@Demo
    db_uri: duckdb:var/demo/source.duckdb
    blazar_coverage_start: "2023-01-01"
  tacc:
    site_name: CHI@TACC
    db_uri: mysql://reader:\${TACC_PW}@db:3306
    output_dir: /abs/out
    legacy:
      node_maintenance: { layout: windows, host: hostname, start: s, end: e }
  kvm:
    site_name: KVM@TACC
    db_uris:
      nova: mysql://r:\${KVM_PW}@nova:3306/nova_cell1
      blazar: postgres://r:\${KVM_PW}@pg:5432/blazar
`;

Deno.test("parseSitesConfig() reads every documented key", () => {
  const cfg = parse(GOOD, { TACC_PW: "s3cret", KVM_PW: "k!v@m" });
  deepEqual([...cfg.sites.keys()], ["demo", "tacc", "kvm"]);
  const demo = cfg.sites.get("demo")!;
  equal(demo.siteName, "CHI@Demo");
  equal(demo.dbUris.nova, "duckdb:var/demo/source.duckdb");
  equal(demo.dbUris.chameleon_usage, "duckdb:var/demo/source.duckdb");
  equal(demo.inputDir, "/srv/ledger/input/demo");
  equal(demo.outputDir, "/srv/ledger/output/demo");
  equal(demo.blazarCoverageStart, "2023-01-01");
  equal(demo.maintenance.layout, "daily");
  const tacc = cfg.sites.get("tacc")!;
  equal(tacc.dbUris.blazar, "mysql://reader:s3cret@db:3306");
  equal(tacc.outputDir, "/abs/out");
  deepEqual(tacc.maintenance, { layout: "windows", host: "hostname", start: "s", end: "e" });
  const kvm = cfg.sites.get("kvm")!;
  equal(kvm.dbUris.nova, "mysql://r:k!v@m@nova:3306/nova_cell1");
  equal(kvm.dbUris.chameleon_usage, undefined);
});

const cases: [string, string, RegExp][] = [
  [
    "bad YAML",
    "sites:\n  demo:\n    site_name: D\n   db_uri: duckdb:x\n",
    /^etc\/test\.yaml:4: Cannot parse YAML/,
  ],
  [
    "unknown key",
    "sites:\n  demo:\n    site_name: D\n    db_uri: duckdb:x\n    db_url: oops\n",
    /^etc\/test\.yaml:5: Cannot load site "demo": unknown key "db_url" \(expected one of site_name, db_uri/,
  ],
  [
    "missing site_name",
    "sites:\n  demo:\n    db_uri: duckdb:x\n",
    /^etc\/test\.yaml:3: Cannot load site "demo": missing key "site_name"/,
  ],
  [
    "missing db_uri",
    "sites:\n  demo:\n    site_name: D\n",
    /^etc\/test\.yaml:3: Cannot load site "demo": missing key "db_uri" \(or "db_uris"\)/,
  ],
  [
    "wrong type",
    "sites:\n  demo:\n    site_name: D\n    db_uri: 42\n",
    /^etc\/test\.yaml:4: Cannot load site "demo" key "db_uri": expected a non-empty string, found number 42/,
  ],
  [
    "wrong type of a mapping",
    "sites:\n  demo:\n    site_name: D\n    db_uris: duckdb:x\n",
    /^etc\/test\.yaml:4: Cannot read site "demo" key "db_uris": expected a mapping, found string/,
  ],
  [
    "unset environment variable",
    "sites:\n  demo:\n    site_name: D\n    db_uri: mysql://u:${NOPE_PW}@h/x\n",
    /^etc\/test\.yaml:4: Cannot load site "demo" key "db_uri": environment variable "NOPE_PW" is not set/,
  ],
  [
    "bad date",
    "sites:\n  demo:\n    site_name: D\n    db_uri: duckdb:x\n    blazar_coverage_start: 2023-13-45\n",
    /^etc\/test\.yaml:5: .*blazar_coverage_start": expected a date YYYY-MM-DD, found "2023-13-45"/,
  ],
  [
    "unknown scheme",
    "sites:\n  demo:\n    site_name: D\n    db_uri: oracle://u:pw@h/x\n",
    /^etc\/test\.yaml:4: .*expected a URI starting with mysql:.*found "oracle:\/\/u:\*\*\*@h\/x"/,
  ],
  [
    "both URI keys",
    "sites:\n  demo:\n    site_name: D\n    db_uri: duckdb:x\n    db_uris: { nova: duckdb:y }\n",
    /^etc\/test\.yaml:5: Cannot load site "demo": expected "db_uri" or "db_uris", found both/,
  ],
  [
    "unknown schema",
    "sites:\n  demo:\n    site_name: D\n    db_uris: { glance: duckdb:y }\n",
    /^etc\/test\.yaml:4: Cannot load site "demo" key "db_uris": unknown key "glance"/,
  ],
  [
    "bad maintenance layout",
    "sites:\n  demo:\n    site_name: D\n    db_uri: duckdb:x\n    legacy:\n      node_maintenance: { layout: weekly, host: h }\n",
    /^etc\/test\.yaml:6: .*"layout": expected "daily" or "windows", found "weekly"/,
  ],
  [
    "maintenance mapping missing a column",
    "sites:\n  demo:\n    site_name: D\n    db_uri: duckdb:x\n    legacy:\n      node_maintenance: { layout: windows, host: h, start: s }\n",
    /^etc\/test\.yaml:6: .*node_maintenance": missing key "end"/,
  ],
  ["missing sites", "other: 1\n", /^etc\/test\.yaml:1: Cannot load the file: unknown key "other"/],
  [
    "duplicate key",
    "sites:\n  demo:\n    site_name: D\n    site_name: E\n    db_uri: duckdb:x\n",
    /^etc\/test\.yaml:4: Cannot parse YAML/,
  ],
];

for (const [what, text, pattern] of cases) {
  Deno.test(`parseSitesConfig() names file, line and key on ${what}`, () => {
    throws(() => parse(text), (e: unknown) => {
      if (!(e instanceof ConfigError)) throw e;
      match(e.message, pattern);
      return true;
    });
  });
}

Deno.test("selectSite() names an unknown site and lists the known ones", () => {
  const cfg = parse(GOOD, { TACC_PW: "x", KVM_PW: "y" });
  throws(() => selectSite(cfg, "uc"), /unknown site "uc" \(expected one of demo, tacc, kvm\)/);
  equal(selectSite(cfg, "demo").key, "demo");
});

Deno.test("masking hides passwords in URIs, free text and public views", () => {
  const cfg = parse(GOOD, { TACC_PW: "s3cret", KVM_PW: "k!v@m" });
  equal(
    maskUri("postgres://u:p%40ss@h:5432/db?sslmode=require&password=x"),
    "postgres://u:***@h:5432/db?sslmode=require&password=***",
  );
  const kvm = cfg.sites.get("kvm")!;
  deepEqual(siteSecrets(kvm), ["k!v@m"]);
  equal(maskUri(kvm.dbUris.nova!), "mysql://r:***@nova:3306/nova_cell1");
  equal(
    maskSecrets("connect failed for k!v@m at nova", siteSecrets(kvm)),
    "connect failed for *** at nova",
  );
  const shown = JSON.stringify(publicSite(cfg.sites.get("tacc")!));
  equal(shown.includes("s3cret"), false);
  match(shown, /mysql:\/\/reader:\*\*\*@db:3306/);
});

Deno.test("loadSitesConfig() reads the bundled etc/sites.yaml", async () => {
  const cfg = await loadSitesConfig("etc/sites.yaml", { env: () => undefined });
  equal(selectSite(cfg, "demo").dbUris.nova, "duckdb:var/demo/source.duckdb");
});

Deno.test("loadSitesConfig() names a file it cannot read", async () => {
  let msg = "";
  try {
    await loadSitesConfig("etc/missing.yaml");
  } catch (e) {
    msg = (e as Error).message;
  }
  match(msg, /^etc\/missing\.yaml:0: Cannot read the sites file/);
});
