import { equal, throws } from "node:assert/strict";
import { isoOfMs, isoOfUs, parseUtc, utcMs, utcSeconds, utcUs } from "../lib/time.ts";

Deno.test("utcMs() reads every spelling the sources use as the same UTC instant", () => {
  const t = Date.UTC(2024, 2, 31, 2, 30, 0);
  for (const text of ["2024-03-31 02:30:00", "2024-03-31T02:30:00", "2024-03-31T02:30:00Z"]) {
    equal(utcMs(text), t, text);
  }
  equal(utcMs("2024-03-31 02:30"), t);
  equal(utcMs("2024-03-31"), Date.UTC(2024, 2, 31));
  equal(utcMs("2024-03-31 02:30:00.123456"), t + 123);
});

Deno.test("utcMs() refuses text it cannot read and dates that do not exist", () => {
  for (const bad of ["2024-02-30", "2024-13-01", "2024-03-31 24:00:00", "31/03/2024", "", "x"]) {
    throws(
      () => utcMs(bad),
      new RegExp(`Cannot read timestamp "${bad}": expected YYYY-MM-DD or YYYY-MM-DD HH:MM:SS`),
    );
  }
  throws(() => utcMs("2024-03-31T02:30:00+01:00"), /Cannot read timestamp/);
});

Deno.test("utcUs(), utcSeconds() and the iso writers agree with utcMs()", () => {
  equal(utcUs("2016-01-01 00:00:01"), 1_451_606_401_000_000n);
  equal(utcSeconds("2016-01-01 00:00:01"), 1_451_606_401);
  equal(isoOfUs(1_451_606_401_000_000n), "2016-01-01T00:00:01");
  equal(isoOfMs(utcMs("2016-01-01 00:00:01.999")), "2016-01-01T00:00:01");
  equal(parseUtc("2016-01-01").getTime(), utcMs("2016-01-01"));
});

Deno.test("parseUtc() copies a Date instead of sharing it", () => {
  const d = new Date(0);
  const p = parseUtc(d);
  p.setUTCFullYear(2000);
  equal(d.getTime(), 0);
});
