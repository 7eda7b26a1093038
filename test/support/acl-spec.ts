// The ACL schema spec of a default (container-mode) stack, derived the way the program derives
// it, so the database tests and the benchmark exercise what a deploy would provision.
import type { AclSchemaSpec } from "../../components/acl-schema-sql";
import { validateConfig } from "../../components/config";
import { aclSchemaSpec } from "../../components/database";

export const DEFAULT_ACL_SPEC: AclSchemaSpec = aclSchemaSpec(validateConfig({ stack: "test", values: {}, secretKeys: new Set() }).settings.database);
