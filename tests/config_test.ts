import { deepEqual, equal, match, throws } from "node:assert/strict";
import {
  ConfigError,
  loadSitesConfig,
  maskSecrets,
  maskUri,
  parseSitesConfig,
  publicSite,
  requireSecrets,
  selectSite,
  siteSecrets,
} from "../lib/config.ts";
import { DEFAULT_MEMORY_LIMIT } from "../lib/db/duckdb.ts";
import { stageDbOptions } from "../lib/pipeline.ts";

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
    ops_projects: [ops-b, ops-a, ops-b]
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
  equal(demo.dbUris.nova, "duckdb:/srv/ledger/var/demo/source.duckdb");
  equal(demo.dbUris.chameleon_usage, "duckdb:/srv/ledger/var/demo/source.duckdb");
  equal(demo.inputDir, "/srv/ledger/input/demo");
  equal(demo.outputDir, "/srv/ledger/output/demo");
  equal(demo.blazarCoverageStart, "2023-01-01");
  equal(demo.maintenance.layout, "daily");
  const tacc = cfg.sites.get("tacc")!;
  equal(tacc.dbUris.blazar, "mysql://reader:s3cret@db:3306");
  equal(tacc.outputDir, "/abs/out");
  deepEqual(tacc.opsProjects, ["ops-a", "ops-b"]);
  equal(demo.opsProjects, undefined);
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
    "unset environment variable outside a URI",
    "sites:\n  demo:\n    site_name: ${NOPE_NAME}\n    db_uri: duckdb:x\n",
    /^etc\/test\.yaml:3: Cannot load site "demo" key "site_name": environment variable "NOPE_NAME" is not set/,
  ],
  [
    "input_dir inside output_dir",
    "sites:\n  demo:\n    site_name: D\n    db_uri: duckdb:x\n    input_dir: out/in\n    output_dir: out\n",
    /^etc\/test\.yaml:6: Cannot load site "demo": input_dir "\/srv\/ledger\/out\/in" is inside output_dir "\/srv\/ledger\/out"/,
  ],
  [
    "input_dir equal to output_dir",
    "sites:\n  demo:\n    site_name: D\n    db_uri: duckdb:x\n    input_dir: /d\n    output_dir: /d/\n",
    /^etc\/test\.yaml:6: Cannot load site "demo": input_dir "\/d" is the same directory as output_dir "\/d"/,
  ],
  [
    "output_dir inside input_dir",
    "sites:\n  demo:\n    site_name: D\n    db_uri: duckdb:x\n    input_dir: /d\n    output_dir: /d/out\n",
    /^etc\/test\.yaml:6: Cannot load site "demo": input_dir "\/d" holds output_dir "\/d\/out"/,
  ],
  [
    "one site's input_dir inside another's output_dir",
    "sites:\n  a:\n    site_name: A\n    db_uri: duckdb:x\n    output_dir: /o\n  b:\n    site_name: B\n    db_uri: duckdb:x\n    input_dir: /o/b\n",
    /^etc\/test\.yaml:6: Cannot load site "b": input_dir "\/o\/b" is inside output_dir "\/o" of site "a"/,
  ],
  [
    "data_dir outside the predecessor's shape",
    "sites:\n  demo:\n    site_name: D\n    db_uri: duckdb:x\n    data_dir: d\n",
    /^etc\/test\.yaml:5: Cannot load site "demo": unknown key "data_dir"/,
  ],
  [
    "bad date",
    "sites:\n  demo:\n    site_name: D\n    db_uri: duckdb:x\n    blazar_coverage_start: 2023-13-45\n",
    /^etc\/test\.yaml:5: .*blazar_coverage_start": expected a date YYYY-MM-DD, found "2023-13-45"/,
  ],
  [
    "ops_projects not a list",
    "sites:\n  demo:\n    site_name: D\n    db_uri: duckdb:x\n    ops_projects: ops\n",
    /^etc\/test\.yaml:5: .*ops_projects": expected a list of project ids, found/,
  ],
  [
    "ops_projects with an empty id",
    "sites:\n  demo:\n    site_name: D\n    db_uri: duckdb:x\n    ops_projects: [a, '']\n",
    /^etc\/test\.yaml:5: .*ops_projects": expected a non-empty project id/,
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
  [
    "bad memory limit",
    "sites:\n  demo:\n    site_name: D\n    db_uri: duckdb:x\n    memory_limit: 2 gigs\n",
    /^etc\/test\.yaml:5: Cannot read site "demo" key "memory_limit": expected a size such as 1GiB or 800MB, found "2 gigs"/,
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

Deno.test("memory_limit sets DuckDB's limit of the stages; without it the default", () => {
  const site = (extra: string) =>
    selectSite(
      parse(`sites:\n  demo:\n    site_name: D\n    db_uri: duckdb:x\n${extra}`),
      "demo",
    );
  equal(site("    memory_limit: 1.5GiB\n").memoryLimit, "1.5GiB");
  equal(stageDbOptions(site("    memory_limit: 1.5GiB\n")).limit, "1.5GiB");
  equal(site("").memoryLimit, undefined);
  equal(stageDbOptions(site("")).limit, DEFAULT_MEMORY_LIMIT);
});

Deno.test("selectSite() names an unknown site, the line of the site list, and the known ones", () => {
  const cfg = parse(GOOD, { TACC_PW: "x", KVM_PW: "y" });
  throws(
    () => selectSite(cfg, "uc"),
    /etc\/test\.yaml:1: Cannot select site: unknown site "uc" \(expected one of demo, tacc, kvm\)/,
  );
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
  const cfg = await loadSitesConfig("etc/sites.yaml", { env: () => undefined, cwd: Deno.cwd() });
  equal(selectSite(cfg, "demo").dbUris.nova, `duckdb:${Deno.cwd()}/var/demo/source.duckdb`);
});

Deno.test("loadSitesConfig() names a file it cannot read, with no made-up line number", async () => {
  let msg = "";
  try {
    await loadSitesConfig("etc/missing.yaml", { cwd: "/srv/ledger" });
  } catch (e) {
    msg = (e as Error).message;
  }
  equal(
    msg,
    `etc/missing.yaml: Cannot read the sites file "/srv/ledger/etc/missing.yaml": no such file`,
  );
});

Deno.test("a relative config path and the relative dirs in it are read from the working directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ledger-cwd-" });
  await Deno.mkdir(`${dir}/conf`);
  await Deno.writeTextFile(
    `${dir}/conf/s.yaml`,
    "sites:\n  a:\n    site_name: A\n    db_uri: duckdb:data/a.duckdb\n    output_dir: out\n",
  );
  const cfg = await loadSitesConfig("conf/s.yaml", { cwd: dir });
  const a = selectSite(cfg, "a");
  equal(a.outputDir, `${dir}/out`);
  equal(a.inputDir, `${dir}/input/a`);
  equal(a.dbUris.nova, `duckdb:${dir}/data/a.duckdb`);
  // deno task runs in the repository root and says where the user was in INIT_CWD.
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { workingDir } from "${Deno.cwd()}/lib/params.ts"; console.log(workingDir());`,
    ],
    cwd: Deno.cwd(),
    env: { INIT_CWD: dir, LEDGER_CWD: "" },
    stdout: "piped",
  }).output();
  equal(new TextDecoder().decode(out.stdout).trim(), dir);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a URI's unset \${VAR} is demanded only by requireSecrets(), naming file, line and variable", () => {
  const cfg = parse(GOOD, {});
  const tacc = cfg.sites.get("tacc")!;
  equal(tacc.dbUris.nova, "mysql://reader:\${TACC_PW}@db:3306");
  equal(tacc.outputDir, "/abs/out");
  throws(
    () => requireSecrets(tacc, () => undefined),
    /: etc\/test\.yaml:8: Cannot load site "tacc" key "db_uri": environment variable "TACC_PW" is not set$/,
  );
  const kvm = requireSecrets(cfg.sites.get("kvm")!, (n) => (n === "KVM_PW" ? "k" : undefined));
  equal(kvm.dbUris.blazar, "postgres://r:k@pg:5432/blazar");
  equal(kvm.unsetSecrets, undefined);
  // A site whose variables are set, or that has no secret, passes through unchanged.
  const demo = cfg.sites.get("demo")!;
  equal(requireSecrets(demo, () => undefined), demo);
});

Deno.test("a file in the predecessor tool's shape loads, with a one-line note", () => {
  const text = `# the predecessor's etc/sites.yaml
chi_tacc:
  site_name: "CHI@TACC"
  db_uris:
    nova: "mysql://root:\${PW}@127.0.0.1:3307/nova"
    blazar: "mysql://root:\${PW}@127.0.0.1:3307/blazar"
  data_dir: /data/tacc
  adapters:
    - nova_hosts
chi_edge:
  site_name: "CHI@Edge"
  db_uris:
    blazar: "mysql://root:\${PW}@127.0.0.1:3310/blazar"
    zun: "mysql://root:\${PW}@127.0.0.1:3310/zun"
`;
  const cfg = parse(text, { PW: "pw" });
  deepEqual([...cfg.sites.keys()], ["chi_tacc", "chi_edge"]);
  const tacc = cfg.sites.get("chi_tacc")!;
  equal(tacc.siteName, "CHI@TACC");
  equal(tacc.inputDir, "/data/tacc");
  equal(tacc.outputDir, "/srv/ledger/output/chi_tacc");
  equal(tacc.dbUris.nova, "mysql://root:pw@127.0.0.1:3307/nova");
  equal(cfg.sites.get("chi_edge")!.dbUris.zun, "mysql://root:pw@127.0.0.1:3310/zun");
  equal(cfg.notes?.length, 1);
  match(
    cfg.notes![0],
    /^etc\/test\.yaml: read in the predecessor tool's shape .*data_dir to input_dir/,
  );
  throws(
    () => parse("chi:\n  site_name: C\n  db_uri: duckdb:x\n  data_dir: a\n  input_dir: b\n"),
    /: etc\/test\.yaml:4: Cannot load site "chi": expected "input_dir" or "data_dir", found both/,
  );
});

Deno.test("parseSitesConfig() reads cpu_allocation_ratio (KVM overcommit default) and rejects one that is not > 0", () => {
  const site = (v: string) =>
    `sites:\n  k:\n    site_name: K\n    db_uri: duckdb:x.duckdb\n    cpu_allocation_ratio: ${v}\n`;
  equal(parseSitesConfig(site("4.0")).sites.get("k")!.cpuAllocationRatio, 4);
  equal(
    parseSitesConfig("sites:\n  k:\n    site_name: K\n    db_uri: duckdb:x.duckdb\n").sites.get(
      "k",
    )!
      .cpuAllocationRatio,
    undefined,
  );
  throws(
    () => parseSitesConfig(site("0")),
    /:5: Cannot load site "k" key "cpu_allocation_ratio": expected a number > 0, found "0"/,
  );
});
