// Resource inputs shaped like the program's (see the contract in docs/policies.md), for the tests.
import { CONTAINER_TYPE } from "../../policy/broker";
import type { ResourceInput } from "./harness";
import { secret } from "./harness";

export const GOOD_EMQX_CONF = `
node {
  name = "emqx@emqx.aiida.internal"
  data_dir = "data"
}
cluster { name = "aiida", discovery_strategy = "manual" }
dashboard {
  listeners.http.bind = "0.0.0.0:18083"
  default_username = "admin"
}
listeners.tcp.default { bind = "0.0.0.0:1883" }
listeners.ssl.default {
  bind = "0.0.0.0:8883"
  ssl_options {
    certfile = "/opt/emqx/etc/certs/aiida/server.pem"
    keyfile = "/opt/emqx/etc/certs/aiida/server.key"
    cacertfile = "/opt/emqx/etc/certs/aiida/ca.pem"
    verify = "verify_none"
  }
}
listeners.ws.default { enable = false }
listeners.wss.default { enable = false }
authorization {
  no_match = "deny"
  deny_action = "ignore"
  sources = [
    {
      type = "postgresql"
      server = "postgres:5432"
      database = "aiida"
      username = "emqx"
      password = "file:///opt/emqx/etc/aiida/emqx-db-password"
      query = "SELECT LOWER(action) AS action, LOWER(acl_type) AS permission, topic FROM public.data_source_mqtt_acl WHERE username = \${username}"
    }
  ]
}
include required("/opt/emqx/etc/aiida/secrets.hocon")
`;

export const GOOD_SECRETS_HOCON = `node { cookie = "Zk3rT9pQvX2mLw8sHn4bYc6dFg1jRt5u" }
dashboard { default_password = "p\\"a\\\\ss\${x}#//ü w-long-enough" }
`;

export interface BrokerOverrides {
    conf?: unknown;
    secretsHocon?: unknown;
    envs?: unknown[];
    ports?: unknown[];
    labels?: Record<string, string>;
    extraUploads?: unknown[];
    networkMode?: string;
}

/** The broker container's inputs: a good configuration unless overridden. */
export function brokerContainer(o: BrokerOverrides = {}): ResourceInput {
    const labels = { "aiida.component": "broker", "aiida.production": "true", ...(o.labels ?? {}) };
    return {
        type: CONTAINER_TYPE,
        name: "emqx",
        inputs: {
            name: "emqx",
            image: "sha256:" + "a".repeat(64),
            labels: Object.entries(labels).map(([label, value]) => ({ label, value })),
            restart: "unless-stopped",
            privileged: false,
            healthcheck: { tests: ["CMD", "/opt/emqx/bin/emqx", "ctl", "status"], interval: "5s" },
            networkMode: o.networkMode,
            ports: o.ports ?? [
                { internal: 8883, external: 8883, ip: "0.0.0.0", protocol: "tcp" },
                { internal: 1883, external: 1884, ip: "127.0.0.1", protocol: "tcp" },
                { internal: 18083, external: 18084, ip: "127.0.0.1", protocol: "tcp" },
            ],
            envs: o.envs ?? ["EMQX_NODE__NAME=emqx@emqx.aiida.internal"],
            uploads: [
                { file: "/opt/emqx/etc/emqx.conf", content: o.conf ?? GOOD_EMQX_CONF },
                { file: "/opt/emqx/etc/aiida/secrets.hocon", content: o.secretsHocon ?? secret(GOOD_SECRETS_HOCON) },
                { file: "/opt/emqx/etc/aiida/emqx-db-password", content: secret("db-password-0123456789abcdef") },
                { file: "/opt/emqx/etc/aiida/init-user.json", content: "[]" },
                { file: "/opt/emqx/etc/certs/aiida/ca.pem", content: "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n" },
                { file: "/opt/emqx/etc/certs/aiida/server.pem", content: "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n" },
                { file: "/opt/emqx/etc/certs/aiida/server.key", content: secret("-----BEGIN EC PRIVATE KEY-----\n...\n-----END EC PRIVATE KEY-----\n") },
                ...(o.extraUploads ?? []),
            ],
        },
    };
}

export function databaseContainer(inputs: Record<string, unknown> = {}): ResourceInput {
    return {
        type: CONTAINER_TYPE,
        name: "postgres",
        inputs: {
            name: "postgres",
            image: "timescale/timescaledb:2.17.2-pg17",
            labels: [
                { label: "aiida.component", value: "database" },
                { label: "aiida.production", value: "false" },
            ],
            restart: "unless-stopped",
            healthcheck: { tests: ["CMD", "pg_isready", "-U", "postgres"], interval: "5s" },
            envs: [],
            ...inputs,
        },
    };
}
