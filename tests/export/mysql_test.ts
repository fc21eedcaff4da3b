import { portOpen, skipUnless } from "../_helpers.ts";
import { exportSuite } from "./_suite.ts";

Deno.test({
  name: "export to MariaDB replaces a site's window in one transaction",
  ignore: skipUnless(await portOpen(3306), "MariaDB at 127.0.0.1:3306"),
  fn: (t) => exportSuite(t, "mysql"),
});
