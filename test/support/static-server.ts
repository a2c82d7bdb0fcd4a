// A static file server on 127.0.0.1 for fetcher tests, in its own process: our evaluation
// blocks its thread while it downloads, so the server cannot run in the test's thread.
import { type ChildProcess, spawn } from "node:child_process";

/** Serves the files under `root` (and `/redirect` → `/file.txt`); the port is chosen by the system. */
export function startServer(root: string): Promise<{ child: ChildProcess; port: number }> {
  const code = `
    const http = require("node:http"), fs = require("node:fs"), path = require("node:path");
    const server = http.createServer((req, res) => {
      if (req.url === "/redirect") { res.writeHead(302, { location: "/file.txt" }); return res.end(); }
      fs.readFile(path.join(${JSON.stringify(root)}, decodeURIComponent(req.url)), (err, data) => {
        if (err) { res.writeHead(404, "Not Found"); return res.end("no such file\\n"); }
        res.writeHead(200, { etag: '"' + data.length + '"' }); res.end(data);
      });
    });
    server.listen(0, "127.0.0.1", () => console.log(server.address().port));`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve) => child.stdout?.once("data", (d: Buffer) => resolve({ child, port: Number(d.toString()) })));
}
