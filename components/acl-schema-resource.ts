// The Pulumi dynamic resource around acl-schema-provisioner.ts. A dynamic provider (rather
// than @pulumi/postgresql's Role and Grant) because (1) the same executor runs in the
// integration tests against a real PostgreSQL, without the engine; (2) the role password
// goes to the server as a SCRAM verifier, never as plaintext SQL; (3) the AIIDA-owned mode
// must fail with instructions until AIIDA's migrations have created the tables, which a
// declarative Grant cannot express; (4) no Terraform-bridged provider has to be built offline.
import * as pulumi from "@pulumi/pulumi";
import { AclSchemaSpec, emqxGrants, emqxRole, Grant, RoleAttributes } from "./acl-schema-sql";
import { AdminConnection, deprovisionAclSchema, provisionAclSchema, readAclSchema } from "./acl-schema-provisioner";

/** Resolved inputs as the provider receives them. */
export interface AclSchemaInputs {
    readonly spec: AclSchemaSpec;
    /** Declared for policy and review; the provisioner derives the same from `spec`. */
    readonly role: RoleAttributes;
    readonly grants: Grant[];
    readonly admin: AdminConnection;
    readonly rolePassword: string;
    readonly dropTablesOnDelete: boolean;
}

export interface EmqxAclSchemaArgs {
    readonly spec: pulumi.Input<AclSchemaSpec>;
    readonly admin: pulumi.Input<AdminConnection>;
    readonly rolePassword: pulumi.Input<string>;
    /** Drop the tables on delete (only ones this program created). Default: false. */
    readonly dropTablesOnDelete?: pulumi.Input<boolean>;
}

const SECRET_OUTPUTS = ["admin", "rolePassword"];

/** A change to any of these addresses a different role or server: replace, deleting first. */
function replacedBy(olds: AclSchemaInputs, news: AclSchemaInputs): string[] {
    const replaces: string[] = [];
    if (olds.spec.roleName !== news.spec.roleName || olds.spec.database !== news.spec.database) {
        replaces.push("spec");
    }
    if (olds.admin.host !== news.admin.host || olds.admin.port !== news.admin.port) {
        replaces.push("admin");
    }
    return replaces;
}

const aclSchemaProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: AclSchemaInputs, news: AclSchemaInputs) {
        const fields = ["spec", "role", "grants", "admin", "rolePassword", "dropTablesOnDelete"] as const;
        const changed = fields.filter((f) => JSON.stringify(olds[f]) !== JSON.stringify(news[f]));
        const replaces = replacedBy(olds, news);
        return { changes: changed.length > 0, replaces, deleteBeforeReplace: true };
    },
    async create(inputs: AclSchemaInputs) {
        const result = await provisionAclSchema(inputs.admin, inputs.spec, inputs.rolePassword);
        return { id: `${inputs.admin.host}:${inputs.admin.port}/${inputs.spec.database}/${inputs.spec.roleName}`, outs: { ...inputs, lastRun: result } };
    },
    async update(_id: string, _olds: AclSchemaInputs, news: AclSchemaInputs) {
        const result = await provisionAclSchema(news.admin, news.spec, news.rolePassword);
        return { outs: { ...news, lastRun: result } };
    },
    async delete(_id: string, props: AclSchemaInputs) {
        await deprovisionAclSchema(props.admin, props.spec, { dropTables: props.dropTablesOnDelete });
    },
    async read(id: string, props: AclSchemaInputs) {
        const observed = await readAclSchema(props.admin, props.spec);
        if (!observed.roleExists || !observed.role) {
            return { id: "", props }; // the role is gone: the next `pulumi up` recreates it
        }
        return { id, props: { ...props, role: { name: props.spec.roleName, ...observed.role } } };
    },
};

/**
 * The `emqx` login role with exactly CONNECT, USAGE and SELECT on AIIDA's two ACL tables,
 * and (unless AIIDA owns them) the tables and their username indexes.
 */
export class EmqxAclSchema extends pulumi.dynamic.Resource {
    public readonly role!: pulumi.Output<RoleAttributes>;
    public readonly grants!: pulumi.Output<Grant[]>;

    constructor(name: string, args: EmqxAclSchemaArgs, opts?: pulumi.CustomResourceOptions) {
        const spec = pulumi.output(args.spec);
        super(
            aclSchemaProvider,
            name,
            {
                spec,
                role: spec.apply(emqxRole),
                grants: spec.apply(emqxGrants),
                admin: pulumi.secret(args.admin),
                rolePassword: pulumi.secret(args.rolePassword),
                dropTablesOnDelete: args.dropTablesOnDelete ?? false,
            },
            { ...opts, additionalSecretOutputs: SECRET_OUTPUTS },
            "aiida",
            "EmqxAclSchema",
        );
    }
}
