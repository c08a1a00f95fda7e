import type { Config } from '../config/index.js';
import type { EventBus } from '../shared/events.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';
import type { Counter, Gauge } from 'prom-client';
import type { Metrics } from './metrics.js';
import { CounterHistory, readSamples } from './history.js';
import { GAUGES, WINDOWED, evaluateRules, retentionMs, type Condition } from './rules.js';
import { M } from './names.js';

export interface AlertState {
  name: string;
  tenant: string;
  /** Set for per-stream alerts (staleness, suspect refresh, failing sync). */
  stream?: string;
  route: 'pagerduty' | 'slack';
  priority?: 'P1' | 'P2';
  severity: string;
  since: number;
  summary: string;
  dedupKey: string;
}

export interface Notifier {
  route: 'pagerduty' | 'slack';
  notify(alert: AlertState, action: 'trigger' | 'resolve'): Promise<void>;
}

export interface AlertEvaluator {
  evaluate(): Promise<AlertState[]>;
  start(): void;
  stop(): void;
  firing(): AlertState[];
}

export interface AlertEvaluatorOptions {
  config: Config;
  metrics: Metrics;
  events: EventBus;
  notifiers: Notifier[];
  clock?: Clock;
  logger?: Logger;
}

/** PagerDuty maps P1 to critical and P2 to error; Slack alerts are warnings. */
export function severityOf(priority: 'P1' | 'P2' | undefined): string {
  return priority === 'P1' ? 'critical' : priority === 'P2' ? 'error' : 'warning';
}

const pick = ({ name, tenant, stream, route, severity, summary, dedupKey }: AlertState) => ({ name, tenant, ...(stream ? { stream } : {}), route, severity, summary, dedupKey });

export function dedupKeyOf(name: string, tenant: string, stream?: string): string {
  return ['navan-bridge', tenant, name, ...(stream ? [stream] : [])].join('/');
}

/**
 * The built-in alerting for the embedded deployment: every `evaluateEverySeconds` it snapshots
 * the metrics, evaluates the same conditions as deploy/prometheus/alerts.yml, and notifies on
 * change: trigger once when an alert starts firing (again after the repeat interval), resolve
 * when it clears.
 */
export function createAlertEvaluator(options: AlertEvaluatorOptions): AlertEvaluator {
  const { config, metrics } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const thresholds = config.monitor.thresholds;
  const repeatMs = config.monitor.repeatIntervalMinutes * 60_000;
  const history = new CounterHistory();
  const pending = new Map<string, number>();
  const firing = new Map<string, { state: AlertState; notifiedAt: number }>();
  let controller: AbortController | undefined;
  let running: Promise<AlertState[]> | undefined;

  const notified = () => metrics.registry.getSingleMetric(M.notifications) as Counter | undefined;
  const firingGauge = () => metrics.registry.getSingleMetric(M.alertFiring) as Gauge | undefined;
  const gaugeLabels = (a: AlertState) => ({ alertname: a.name, tenant: a.tenant, stream: a.stream ?? '', route: a.route, severity: a.severity });

  // Resolves that could not be delivered, sent again at the next evaluation so no incident stays open.
  const unresolved = new Map<string, AlertState>();

  /** True when every notifier for the route took it. */
  async function dispatch(alert: AlertState, action: 'trigger' | 'resolve'): Promise<boolean> {
    const targets = options.notifiers.filter((n) => n.route === alert.route);
    const results = await Promise.all(
      targets.map(async (n) => {
        try {
          await n.notify(alert, action);
          notified()?.inc({ route: n.route, action, outcome: 'sent' });
          return true;
        } catch (err) {
          // A failed notification is counted and logged; it must never take the process down.
          notified()?.inc({ route: n.route, action, outcome: 'failed' });
          logger.error({ alert: alert.name, tenant: alert.tenant, route: n.route, action, err: describeError(err) }, 'alert notification failed');
          return false;
        }
      }),
    );
    return results.every(Boolean);
  }

  const trigger = async (entry: { state: AlertState; notifiedAt: number }) => {
    // An undelivered trigger is retried at the next evaluation rather than after the repeat interval.
    if (!(await dispatch({ ...entry.state }, 'trigger'))) entry.notifiedAt = -Infinity;
  };
  const resolve = async (state: AlertState) => {
    if (await dispatch({ ...state }, 'resolve')) unresolved.delete(state.dedupKey);
    else unresolved.set(state.dedupKey, state);
  };

  async function evaluateOnce(): Promise<AlertState[]> {
    const now = clock.now();
    history.add(now, await readSamples(metrics.registry, WINDOWED));
    history.prune(now - retentionMs(thresholds));
    const gauges = await readSamples(metrics.registry, GAUGES);
    const conditions = evaluateRules({ now, history, gauges, thresholds });

    const holding = new Map<string, Condition>();
    for (const c of conditions) holding.set(dedupKeyOf(c.rule.name, c.tenant, c.stream), c);
    for (const key of pending.keys()) if (!holding.has(key)) pending.delete(key);

    const sends: Promise<void>[] = [];
    for (const [key, state] of unresolved) if (!holding.has(key)) sends.push(resolve(state));
    for (const [key, c] of holding) {
      unresolved.delete(key);
      const active = firing.get(key);
      if (active) {
        active.state.summary = c.summary;
        if (now - active.notifiedAt >= repeatMs) {
          active.notifiedAt = now;
          sends.push(trigger(active));
        }
        continue;
      }
      const since = pending.get(key) ?? now;
      pending.set(key, since);
      if (now - since < c.rule.forMs) continue;
      pending.delete(key);
      const state: AlertState = {
        name: c.rule.name, tenant: c.tenant, ...(c.stream ? { stream: c.stream } : {}), route: c.rule.route,
        ...(c.rule.priority ? { priority: c.rule.priority } : {}), severity: severityOf(c.rule.priority),
        since, summary: c.summary, dedupKey: key,
      };
      const entry = { state, notifiedAt: now };
      firing.set(key, entry);
      firingGauge()?.set(gaugeLabels(state), 1);
      options.events.emit('alert.state', { ...pick(state), action: 'trigger' });
      logger.warn({ alert: state.name, tenant: state.tenant, summary: state.summary }, 'alert firing');
      sends.push(trigger(entry));
    }
    for (const [key, active] of firing) {
      if (holding.has(key)) continue;
      firing.delete(key);
      firingGauge()?.remove(gaugeLabels(active.state));
      options.events.emit('alert.state', { ...pick(active.state), action: 'resolve' });
      logger.info({ alert: active.state.name, tenant: active.state.tenant }, 'alert resolved');
      sends.push(resolve(active.state));
    }
    await Promise.all(sends);
    return [...firing.values()].map((f) => ({ ...f.state }));
  }

  const evaluate = async () => {
    // One evaluation at a time: a slow notification must not let a second pass double-notify.
    while (running) await running.catch(() => undefined);
    running = evaluateOnce();
    try {
      return await running;
    } finally {
      running = undefined;
    }
  };

  return {
    evaluate,
    firing: () => [...firing.values()].map((f) => ({ ...f.state })),
    start() {
      if (controller) return;
      const ctl = new AbortController();
      controller = ctl;
      void (async () => {
        while (!ctl.signal.aborted) {
          try {
            await clock.sleep(config.monitor.evaluateEverySeconds * 1000, ctl.signal);
            await evaluate();
          } catch (err) {
            if (ctl.signal.aborted) return;
            logger.error({ err: describeError(err) }, 'alert evaluation failed');
          }
        }
      })();
    },
    stop() {
      controller?.abort();
      controller = undefined;
    },
  };
}
