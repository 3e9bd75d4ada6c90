/**
 * HTTP/2 flow-control windows for the grpc-js server. HTTP/2 lets a peer send only as many
 * bytes as the receiver's window allows, 64 KiB per stream and per connection by default, and
 * the receiver opens it again with WINDOW_UPDATE frames: a 1 MiB tensor then takes about 16
 * round trips each way, and calls in flight share the one connection window. grpc-js 1.14 has
 * a client option for this (`grpc-node.flow_control_window`) but none for its server, so the
 * server's windows are set here through two grpc-js internals, each checked before use: the
 * settings its HTTP/2 servers are created with (stream window), and its map of HTTP/2 servers,
 * whose sessions get the connection window. When an internal is missing (another grpc-js
 * version), that window stays at the default and `false` is returned; nothing breaks.
 */
import type { Http2Server, Http2Session } from 'node:http2';
import type * as GrpcJs from '@grpc/grpc-js';

/** The grpc-js server internals read here (grpc-js 1.x `Server`). */
interface ServerInternals {
  commonServerOptions?: { settings?: Record<string, unknown> };
  http2Servers?: Map<Http2Server, unknown>;
}

/**
 * Sets the stream window the server's HTTP/2 connections announce (`initialWindowSize`).
 * Call before `bindAsync`. Returns whether grpc-js exposed the setting.
 *
 * @internal
 * @example
 * setStreamWindow(server, 8 * 1024 * 1024);
 */
export function setStreamWindow(server: GrpcJs.Server, bytes: number): boolean {
  const common = (server as unknown as ServerInternals).commonServerOptions;
  if (common === null || typeof common !== 'object') return false;
  common.settings = { ...common.settings, initialWindowSize: bytes };
  return true;
}

/**
 * Opens the connection window of every HTTP/2 session the bound server accepts from now on
 * to `bytes`. Call after `bindAsync` resolved. Returns whether grpc-js exposed its servers.
 *
 * @internal
 * @example
 * setConnectionWindow(server, 8 * 1024 * 1024);
 */
export function setConnectionWindow(server: GrpcJs.Server, bytes: number): boolean {
  const servers = (server as unknown as ServerInternals).http2Servers;
  if (!(servers instanceof Map) || servers.size === 0) return false;
  for (const http2Server of servers.keys()) {
    http2Server.on('session', (session: Http2Session) => {
      try {
        session.setLocalWindowSize(bytes);
      } catch {
        // The session closed before it was set up: nothing to widen.
      }
    });
  }
  return true;
}
