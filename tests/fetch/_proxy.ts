/**
 * A tiny TCP proxy on 127.0.0.1 in front of a real database server, for fault tests: it can freeze
 * (stop forwarding, like a server stopped with SIGSTOP) and kill (drop every connection, like a
 * server killed), also after a given number of bytes from the server.
 *
 * @module
 */

/** A proxy to `127.0.0.1:<target>`; stop it with `close()`. */
export class TcpProxy {
  readonly port: number;
  readonly #listener: Deno.Listener;
  readonly #conns = new Set<Deno.Conn>();
  #frozen: PromiseWithResolvers<void> | null = null;
  #fromServer = 0;
  #killAt = Infinity;
  #freezeAt = Infinity;
  #killed = false;

  private constructor(listener: Deno.Listener, target: number) {
    this.#listener = listener;
    this.port = (listener.addr as Deno.NetAddr).port;
    this.#accept(target);
  }

  /** Starts a proxy on a free port. */
  static start(target: number): TcpProxy {
    return new TcpProxy(Deno.listen({ hostname: "127.0.0.1", port: 0 }), target);
  }

  /** Bytes sent by the server so far. */
  get fromServer(): number {
    return this.#fromServer;
  }

  /** Drops every connection once the server has sent `bytes` more bytes. */
  killAfter(bytes: number): void {
    this.#killAt = this.#fromServer + bytes;
  }

  /** Stops forwarding once the server has sent `bytes` more bytes (0: now). */
  freezeAfter(bytes: number): void {
    this.#freezeAt = this.#fromServer + bytes;
    if (bytes === 0) this.#frozen ??= Promise.withResolvers();
  }

  /** Forwards again. */
  thaw(): void {
    this.#freezeAt = Infinity;
    this.#frozen?.resolve();
    this.#frozen = null;
  }

  /** Drops every connection now (new ones too). */
  kill(): void {
    this.#killed = true;
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    this.#conns.clear();
    this.thaw();
  }

  /** Kills and stops listening. */
  close(): void {
    this.kill();
    try {
      this.#listener.close();
    } catch { /* closed */ }
  }

  async #accept(target: number): Promise<void> {
    try {
      for await (const client of this.#listener) {
        if (this.#killed) {
          client.close();
          continue;
        }
        const server = await Deno.connect({ hostname: "127.0.0.1", port: target });
        this.#conns.add(client);
        this.#conns.add(server);
        this.#pipe(client, server, false);
        this.#pipe(server, client, true);
      }
    } catch { /* listener closed */ }
  }

  async #pipe(from: Deno.Conn, to: Deno.Conn, fromServer: boolean): Promise<void> {
    const buf = new Uint8Array(16 * 1024);
    try {
      for (;;) {
        if (this.#frozen) await this.#frozen.promise;
        const n = await from.read(buf);
        if (n === null) break;
        if (this.#frozen) await this.#frozen.promise;
        if (this.#killed) break;
        if (fromServer) {
          this.#fromServer += n;
          if (this.#fromServer >= this.#killAt) {
            this.kill();
            break;
          }
          if (this.#fromServer >= this.#freezeAt) {
            this.#frozen ??= Promise.withResolvers();
            await this.#frozen.promise;
            if (this.#killed) break;
          }
        }
        let off = 0;
        while (off < n) off += await to.write(buf.subarray(off, n));
      }
    } catch { /* a side closed */ }
    for (const c of [from, to]) {
      try {
        c.close();
      } catch { /* closed */ }
      this.#conns.delete(c);
    }
  }
}
