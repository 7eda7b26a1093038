import type * as docker from "@pulumi/docker";

/** Labels the policy pack and operators use to find this program's Docker objects. */
export function dockerLabels(component: "broker" | "database" | "network", production = false): docker.types.input.ContainerLabel[] {
    return [
        { label: "aiida.component", value: component },
        { label: "aiida.production", value: production ? "true" : "false" },
        { label: "aiida.managed-by", value: "pulumi:aiida-emqx" },
    ];
}
