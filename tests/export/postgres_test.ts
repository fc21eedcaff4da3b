import { portOpen, skipUnless } from "../_helpers.ts";
import { exportSuite } from "./_suite.ts";

Deno.test({
  name: "export to PostgreSQL replaces a site's window in one transaction",
  ignore: skipUnless(await portOpen(5432), "PostgreSQL at 127.0.0.1:5432"),
  fn: (t) => exportSuite(t, "postgres"),
});
