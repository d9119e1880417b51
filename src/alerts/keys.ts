/**
 * Every Redis key of alerts and incidents (P = CHATOPS_PREFIX):
 *
 *   P:alerts:deliveries       stream  recorded deliveries: `s` source, `n` Notification JSON, `at` ms
 *   P:alerts:last:SRC:GROUP   string  hash of the last delivery recorded for the group: a repeat or an HA
 *                                     twin identical to it is not recorded again (1 day)
 *   P:alerts:event:SRC:ID     string  source event ids seen (PagerDuty event.id), 7 days
 *   P:alerts:cursor           string  id of the last delivery the incident consumer finished
 *   P:alerts:consumer         string  lease of the one consumer processing deliveries now (PX)
 *   P:alerts:newinc:MINUTE    string  incidents opened in that minute (storm cap), 2 minutes
 *   P:alerts:cooldown:WF:FP   string  a run of workflow WF for alert FP started; PX = its cooldown
 *   P:alerts:delayed          zset    runs waiting for their `delay` (member JSON), by due time
 *   P:alerts:report           zset    incidents whose chat messages are behind their record, by last change
 *   P:alerts:reporter:KIND    string  lease of the one process writing incidents on platform KIND (slack, shell)
 *   P:alerts:storm            string  id of the current "alert storm" incident
 *   P:alerts:runs             zset    `INCIDENT|RUN` of runs bound to an incident not seen ending yet (incident-runs.ts)
 *   P:alerts:runs:seen        hash    RUN -> approval decisions already put on its incident's timeline
 *   P:alerts:runwatch         string  lease of the one process putting runs' progress on timelines (PX)
 *   P:incidents               zset    incident ids by last change (`chatops incidents`)
 *   P:incident:ID             string  the incident (JSON), expires a retention after it resolved
 *   P:incident:ID:msg         string  its living message (MessageRef JSON), written once posted
 *   P:incident:ID:timeline    list    append-only entries (alerts, runs, notes), JSON
 *   P:incident:ID:report      hash    chat side: `root` (MessageRef JSON), `rendered` (version shown), `posted` (timeline entries replied)
 *                                     and `rootSince` (ms: a post of the message was sent while no `root` was kept; post-once.ts)
 *   P:incident:group:SRC:GROUP string the incident id of the group (reopen window and retention)
 *   P:incident:thread:PLATFORM:CHANNEL:MSG string the incident whose living message MSG is (its thread binds commands)
 *   P:incident:ID:human       hash    what people set: `ack` (JSON by, at), `silence` (JSON id, by, endsAt), `v` (bumped per change)
 */
export class AlertKeys {
  constructor(readonly prefix: string) {}
  get deliveries(): string {
    return `${this.prefix}:alerts:deliveries`;
  }
  last(source: string, groupKey: string): string {
    return `${this.prefix}:alerts:last:${source}:${groupKey}`;
  }
  event(source: string, id: string): string {
    return `${this.prefix}:alerts:event:${source}:${id}`;
  }
  get cursor(): string {
    return `${this.prefix}:alerts:cursor`;
  }
  get consumer(): string {
    return `${this.prefix}:alerts:consumer`;
  }
  newIncidents(minute: number): string {
    return `${this.prefix}:alerts:newinc:${minute}`;
  }
  cooldown(workflow: string, fingerprint: string): string {
    return `${this.prefix}:alerts:cooldown:${workflow}:${fingerprint}`;
  }
  get delayed(): string {
    return `${this.prefix}:alerts:delayed`;
  }
  get report(): string {
    return `${this.prefix}:alerts:report`;
  }
  reporterLease(kind: string): string {
    return `${this.prefix}:alerts:reporter:${kind}`;
  }
  get storm(): string {
    return `${this.prefix}:alerts:storm`;
  }
  reportState(id: string): string {
    return `${this.prefix}:incident:${id}:report`;
  }
  get incidents(): string {
    return `${this.prefix}:incidents`;
  }
  incident(id: string): string {
    return `${this.prefix}:incident:${id}`;
  }
  message(id: string): string {
    return `${this.prefix}:incident:${id}:msg`;
  }
  timeline(id: string): string {
    return `${this.prefix}:incident:${id}:timeline`;
  }
  get runs(): string {
    return `${this.prefix}:alerts:runs`;
  }
  get runsSeen(): string {
    return `${this.prefix}:alerts:runs:seen`;
  }
  get runWatch(): string {
    return `${this.prefix}:alerts:runwatch`;
  }
  thread(platform: string, channel: string, messageId: string): string {
    return `${this.prefix}:incident:thread:${platform}:${channel}:${messageId}`;
  }
  human(id: string): string {
    return `${this.prefix}:incident:${id}:human`;
  }
  group(source: string, groupKey: string): string {
    return `${this.prefix}:incident:group:${source}:${groupKey}`;
  }
}
