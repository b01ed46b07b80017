import type { E2eCovered } from './coverage.js';

/**
 * The files of src/ that no spec imports (for value), with the end-to-end specs whose
 * assertions depend on them and why they have no unit spec. import-graph.spec.ts keeps this
 * honest: a file missing from it, a file gone, or a file a spec now imports fails the check.
 * The e2e specs run `node dist/main.js` (or the browser against it), so they exercise these
 * files as built.
 */
export const E2E_COVERED: readonly E2eCovered[] = [
  // Process entries and wiring: I/O only, the pure parts they call have their own specs.
  {
    file: 'src/main.ts',
    e2e: ['test/core.e2e.spec.ts', 'test/topology.e2e.spec.ts', 'test/secrets.e2e.spec.ts'],
    why: 'process entry (role by cluster.isPrimary, config errors → exit 78): I/O only',
  },
  {
    file: 'src/primary/primary.ts',
    e2e: ['test/topology.e2e.spec.ts', 'test/router-faults.e2e.spec.ts', 'test/recycling.e2e.spec.ts'],
    why: 'the arbiter: forks, reaps, recycles and drains real worker processes; its decisions are pure modules with specs (arbiter, recycle-queue)',
  },
  {
    file: 'src/primary/poll-wiring.ts',
    e2e: ['test/core.e2e.spec.ts', 'test/five11.e2e.spec.ts', 'test/multi-instance.e2e.spec.ts'],
    why: 'wires feed, budget, coordinator, store and poller to the workers (zero calls without viewers, polls per interval, one poller per deployment); specs import only its types',
  },
  {
    file: 'src/primary/worker-metrics-collector.ts',
    e2e: ['test/observability/prometheus-live.spec.ts'],
    why: 'pulls every worker registry over IPC for one scrape ("/metrics with 8 workers"): needs live workers',
  },
  {
    file: 'src/telemetry/register.ts',
    e2e: ['test/observability/traces.spec.ts'],
    why: 'an ESM loader hook registration (one call to node:module register): only a real process can load it',
  },
  {
    file: 'src/bench/run.ts',
    e2e: 'none',
    why: '`npm run bench` entry: prints figures of the hot paths and asserts nothing; bench() has micro.spec.ts, the measured functions their own specs',
  },

  // The worker's Nest application: modules, providers and adapters that only a booted
  // application with real sockets runs. The feature modules have Test.createTestingModule
  // specs (gateway, HTTP API), which import the modules rather than each class.
  {
    file: 'src/worker/worker.ts',
    e2e: ['test/topology.e2e.spec.ts', 'test/recycling.e2e.spec.ts', 'test/core.e2e.spec.ts'],
    why: 'a worker process entry: boots Nest on its ports, exits after the drain, ignores SIGHUP: I/O only',
  },
  {
    file: 'src/worker/app/worker.module.ts',
    e2e: ['test/core.e2e.spec.ts'],
    why: 'Nest module wiring (imports and providers): it is right when the application boots and serves',
  },
  {
    file: 'src/worker/app/tokens.ts',
    e2e: ['test/limits.e2e.spec.ts'],
    why: 'an injection token (the security headers every response carries, "security headers on Engine.IO responses")',
  },
  {
    file: 'src/worker/app/handed-in.ts',
    e2e: ['test/router.e2e.spec.ts', 'test/recycling.e2e.spec.ts'],
    why: 'tracks the sockets the primary handed over (net.Socket lifecycles); the drain waits for them',
  },
  {
    file: 'src/worker/app/heartbeat.ts',
    e2e: ['test/router-faults.e2e.spec.ts', 'test/recycling.e2e.spec.ts'],
    why: 'the viewer report as heartbeat, with the RSS read: a SIGSTOPped worker misses its beats ("gets no new sessions")',
  },
  {
    file: 'src/worker/app/primary-messages.ts',
    e2e: ['test/core.e2e.spec.ts', 'test/observability/prometheus-live.spec.ts'],
    why: 'dispatches IPC messages into the cache and state, and answers metric requests from the live registry',
  },
  {
    file: 'src/worker/app/session-drain.ts',
    e2e: ['test/recycling.e2e.spec.ts', 'test/topology.e2e.spec.ts'],
    why: 'the drain as a Nest shutdown hook: closes real sessions over the window ("recycle both workers in turn with 0 × 400")',
  },
  {
    file: 'src/worker/app/session-routing.ts',
    e2e: ['test/topology.e2e.spec.ts', 'test/router.e2e.spec.ts'],
    why: 'hooks the session guard into engine.io requests and handed-in connections ("answers forged ids and a dead worker’s sessions with the protocol 400")',
  },
  {
    file: 'src/gateway/vehicles.gateway.ts',
    e2e: ['test/core.e2e.spec.ts', 'test/flood.e2e.spec.ts', 'test/topology.e2e.spec.ts'],
    why: 'the Nest gateway on a real Socket.IO server: snapshot on connect, deltas, subscriptions, the per-socket event limit; src/gateway/vehicles.gateway.spec.ts drives it through the real GatewayModule (it imports the module, not this file)',
  },
  {
    file: 'src/gateway/subscribe.pipe.ts',
    e2e: ['test/core.e2e.spec.ts', 'test/fuzz/topology.fuzz.spec.ts'],
    why: 'a Nest pipe over subscribe.schema.ts (specced): "answers bad subscribe payloads with an error ack"; src/gateway/vehicles.gateway.spec.ts drives it through the real GatewayModule (it imports the module, not this file)',
  },
  {
    file: 'src/gateway/ack-error.filter.ts',
    e2e: ['test/core.e2e.spec.ts', 'test/fuzz/topology.fuzz.spec.ts'],
    why: 'a Nest exception filter: the refusal reaches the client on its ack, which only a real socket shows; src/gateway/vehicles.gateway.spec.ts drives it through the real GatewayModule (it imports the module, not this file)',
  },
  {
    file: 'src/http/vehicles.controller.ts',
    e2e: ['test/core.e2e.spec.ts', 'test/browser/map.e2e.spec.ts'],
    why: 'a Nest controller: "a fallback-only viewer keeps the data fresh", "answers a matching If-None-Match with 304"; src/http/vehicles.controller.spec.ts drives it through the real HttpApiModule (it imports the module, not this file)',
  },
  {
    file: 'src/http/health.controller.ts',
    e2e: ['test/core.e2e.spec.ts', 'test/five11.e2e.spec.ts', 'test/redis-failure.e2e.spec.ts'],
    why: 'a Nest controller: /readyz with the feed state, the budget and the coordination standing; src/http/health.controller.spec.ts drives it through the real HttpApiModule (it imports the module, not this file)',
  },
  {
    file: 'src/http/query.pipes.ts',
    e2e: ['test/core.e2e.spec.ts', 'test/fuzz/topology.fuzz.spec.ts'],
    why: 'Nest pipes for /api/vehicles queries: "/api/vehicles queries: each 400 with the parser message"; src/http/vehicles.controller.spec.ts drives it through the real HttpApiModule (it imports the module, not this file)',
  },
  {
    file: 'src/http/configure-http.ts',
    e2e: ['test/browser/map.e2e.spec.ts'],
    why: 'Express settings and the static map ("hashed assets as immutable"): I/O only',
  },
  {
    file: 'src/http/diagnostic-routes.ts',
    e2e: ['test/router.e2e.spec.ts'],
    why: 'the byte-integrity probe behind DIAGNOSTIC_ROUTES=true ("each POSTing 64 KB in four writes: every hash equal")',
  },
  {
    file: 'src/live/viewer-reporter.ts',
    e2e: ['test/core.e2e.spec.ts', 'test/topology.e2e.spec.ts'],
    why: 'reports this worker’s viewers over IPC ("stops polling within grace + 1 interval after the last client leaves", demand summed over workers); the module specs (vehicles.gateway.spec.ts, vehicles.controller.spec.ts) assert its reports on a recording link',
  },
  {
    file: 'src/live/live-sockets.ts',
    e2e: ['test/topology.e2e.spec.ts', 'test/observability/prometheus-live.spec.ts'],
    why: 'counts the live Socket.IO sockets by transport, for the viewer reports and the connections gauge; vehicles.gateway.spec.ts counts through it (the viewer report of a connected client)',
  },
  {
    file: 'src/ipc/primary-link.ts',
    e2e: ['test/core.e2e.spec.ts', 'test/topology.e2e.spec.ts'],
    why: 'the worker’s end of the real IPC channel (process.send/on): every snapshot and report travels on it',
  },

  // Upstream and Redis I/O.
  {
    file: 'src/feed/upstream-http.ts',
    e2e: ['test/core.e2e.spec.ts', 'test/five11.e2e.spec.ts', 'test/secrets.e2e.spec.ts'],
    why: 'fetch() with a deadline and a byte cap against a real upstream (the fake GTFS-RT and 511.org servers); its error mapping is gtfs-rt.errors.spec.ts',
  },
  {
    file: 'src/coordination/coordinator.ts',
    e2e: ['test/core.e2e.spec.ts', 'test/multi-instance.e2e.spec.ts'],
    why: 'the Coordinator contract and LocalCoordinator (always the poller, local demand): a one-instance run is its whole behaviour',
  },
  {
    file: 'src/coordination/redis-demand.ts',
    e2e: ['test/multi-instance.e2e.spec.ts', 'test/redis-failure.e2e.spec.ts'],
    why: 'demand shared through a real redis-server ("viewers only on the follower still keep the leader polling")',
  },
  {
    file: 'src/coordination/redis-scripts.ts',
    e2e: ['test/multi-instance.e2e.spec.ts', 'test/redis-failure.e2e.spec.ts', 'test/multi-instance-haproxy.e2e.spec.ts'],
    why: 'Lua scripts (lease, fenced publish) that only a real Redis runs, and the key names',
  },

  // Logging: pino streams.
  {
    file: 'src/logging/logger.ts',
    e2e: ['test/limits.e2e.spec.ts', 'test/five11.e2e.spec.ts', 'test/secrets.e2e.spec.ts'],
    why: 'the pino factory (JSON or pretty to stdout): the e2e specs read the lines a real process prints',
  },
  {
    file: 'src/logging/nest-logger.ts',
    e2e: ['test/secrets.e2e.spec.ts'],
    why: 'forwards Nest’s own log calls to pino: only a booted Nest application makes them; secrets.e2e reads every line a process prints, these included',
  },

  // Types only: nothing runs, tsc checks every use.
  {
    file: 'src/domain/vehicle.ts',
    e2e: ['test/core.e2e.spec.ts'],
    why: 'types only (Vehicle, Snapshot, Delta): the snapshot and deltas core.e2e receives have this shape',
  },
  {
    file: 'src/poller/feed-status.ts',
    e2e: ['test/core.e2e.spec.ts', 'test/five11.e2e.spec.ts'],
    why: 'types only (FeedStatus, BudgetStatus): what /readyz reports of the feed and the budget',
  },

  // The browser map: DOM and Leaflet, driven by headless Chromium.
  {
    file: 'src/web/client/main.ts',
    e2e: ['test/browser/map.e2e.spec.ts'],
    why: 'the page entry: wires the live client, the fallback and the map in a real document',
  },
  {
    file: 'src/web/client/map-view.ts',
    e2e: ['test/browser/map.e2e.spec.ts', 'test/browser/feed-notice.e2e.spec.ts'],
    why: 'Leaflet markers and popups: needs a DOM and a map ("moves markers when a delta arrives", the vehicle popup)',
  },
  {
    file: 'src/web/client/route-picker.ts',
    e2e: ['test/browser/map.e2e.spec.ts'],
    why: 'a DOM control ("the route picker (keyboard) leaves only that route’s markers")',
  },
  {
    file: 'src/web/client/agency-picker.ts',
    e2e: ['test/browser/agency-picker.e2e.spec.ts'],
    why: 'a DOM control ("switching to AC re-subscribes to AC only")',
  },
  {
    file: 'src/web/client/index.html',
    e2e: ['test/browser/map.e2e.spec.ts'],
    why: 'markup, not a module ("serves GET / with a CSP without unsafe-inline, no inline code")',
  },
  {
    file: 'src/web/client/styles.css',
    e2e: ['test/browser/map.e2e.spec.ts'],
    why: 'a stylesheet: hashed, served immutable and applied in the browser screenshots',
  },
  {
    file: 'src/web/client/favicon.svg',
    e2e: ['test/browser/map.e2e.spec.ts'],
    why: 'an image: map.e2e counts it among the hashed assets the page references',
  },
];
