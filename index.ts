// Entry point of `pulumi up`: validate the whole stack config first (nothing is registered
// when it is wrong), then wire the components and export what AIIDA and operators need.
import { validateConfig } from "./components/config";
import { buildStack, readRawConfig } from "./components/stack";

const stack = buildStack(validateConfig(readRawConfig()));

/** AIIDA's MQTT_INTERNAL_HOST: plain MQTT on the stack's Docker network. */
export const mqttInternalUrl = stack.mqttInternalUrl;
/** AIIDA's MQTT_EXTERNAL_HOST: MQTT over TLS for data sources. */
export const mqttExternalUrl = stack.mqttExternalUrl;
/** The CA data sources trust (AIIDA's MQTT_TLS_CERTIFICATE_PATH file). */
export const caCertificatePem = stack.caCertificatePem;
/** AIIDA's MQTT_PASSWORD for the built-in `aiida` user (secret). */
export const aiidaMqttPassword = stack.aiidaMqttPassword;
export const dashboardUrl = stack.dashboardUrl;
/** First-boot password of the dashboard's `admin` user (secret). */
export const dashboardPassword = stack.dashboardPassword;
/** What EMQX connects to: server, database, role, sslMode. */
export const database = stack.database;
/** Password of the `emqx` role (secret). */
export const emqxDatabasePassword = stack.emqxDatabasePassword;
export const networkName = stack.networkName;
