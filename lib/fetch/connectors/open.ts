/**
 * Opens the connector of a URI by its scheme: `mysql://` and `mariadb://` (mysql2),
 * `postgres://` and `postgresql://` (postgres), `duckdb:<path>` (embedded).
 *
 * @module
 */
import { parseDbUri } from "../../config.ts";
import type { ParquetWriter } from "../parquet_writer.ts";
import { DuckdbConnector } from "./duckdb.ts";
import { MysqlConnector } from "./mysql.ts";
import { PostgresConnector } from "./postgres.ts";
import type { Connector } from "./types.ts";

/**
 * Connects to a source; throws a `FetchError` whose status says why it could not.
 *
 * @example
 * ```ts ignore
 * await using c = await openConnector("duckdb:var/demo/source.duckdb", writer);
 * ```
 */
export function openConnector(
  uri: string,
  writer: ParquetWriter,
  options: { connectTimeoutS?: number } = {},
): Promise<Connector> {
  const scheme = parseDbUri(uri).scheme;
  if (scheme === "mysql") return MysqlConnector.open(uri, options);
  if (scheme === "postgres") return PostgresConnector.open(uri, options);
  return DuckdbConnector.open(uri, writer);
}
