// Reproduces us-mx-boundary.json: `npm ci && npm run extract` in this folder.
// Natural Earth 1:10m countries (public domain) via world-atlas; the mesh between
// the United States (840) and Mexico (484) is the international boundary.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { mesh } from "topojson-client";

const require = createRequire(import.meta.url);
const topology = JSON.parse(readFileSync(require.resolve("world-atlas/countries-10m.json"), "utf8"));
const ids = new Set(["840", "484"]);
const line = mesh(topology, topology.objects.countries, (a, b) => a !== b && ids.has(a.id) && ids.has(b.id));
if (line.coordinates.length !== 1) throw new Error(`expected one line, got ${line.coordinates.length}`);

let points = line.coordinates[0];
if (points[0][0] > points[points.length - 1][0]) points = points.reverse(); // start at the Pacific
const round = (v) => Math.round(v * 1e6) / 1e6;
const out = {
  source: "Natural Earth 1:10m countries via world-atlas@2.0.2, mesh of 840|484 with topojson-client@3.1.0",
  order: "Pacific terminus first, [longitude, latitude]",
  points: points.map(([lon, lat]) => [round(lon), round(lat)]),
};
writeFileSync(new URL("./us-mx-boundary.json", import.meta.url), JSON.stringify(out) + "\n");
console.log(`${out.points.length} points, ${JSON.stringify(out.points[0])} .. ${JSON.stringify(out.points.at(-1))}`);
