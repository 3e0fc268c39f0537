import type { Server } from 'node:http';
/** Starts the examples server on 127.0.0.1 (port 0: any free port). */
export function startServer(listenPort?: number): Promise<Server>;
