// Image pinning: a tag that moves (`latest`, `latest-pg17`, no tag at all) silently changes
// what runs at the next pull; a digest pins the exact bytes.
import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { UNKNOWN, configWithDefaults, peek } from "./util";

export const REMOTE_IMAGE_TYPE = "docker:index/remoteImage:RemoteImage";
const CONTAINER_TYPE = "docker:index/container:Container";

export interface ImageReference {
    readonly repository: string;
    readonly tag?: string;
    readonly digest?: string;
}

/** Splits `registry:port/repo/name:tag@sha256:...` into repository, tag and digest. */
export function parseImageReference(ref: string): ImageReference {
    let rest = ref.trim();
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
    }
    const slash = rest.lastIndexOf("/");
    const colon = rest.lastIndexOf(":");
    let tag: string | undefined;
    if (colon > slash) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
    }
    return { repository: rest, tag: tag === "" ? undefined : tag, digest };
}

/** An image ID (`sha256:<64 hex>`) as the docker provider's RemoteImage.imageId gives it: content-addressed. */
export function isImageId(ref: string): boolean {
    return /^(sha256:)?[0-9a-f]{64}$/.test(ref.trim());
}

const schema: PolicyConfigSchema = {
    properties: {
        requireDigest: {
            type: "boolean",
            default: false,
            description: "Require every image reference to carry a digest (name:tag@sha256:...), not only a fixed tag.",
        },
        forbiddenTags: {
            type: "array",
            items: { type: "string" },
            default: ["^latest$", "^latest-", "^(stable|edge|nightly|main|master|dev|develop)$"],
            description: "Regular expressions of floating tags that do not count as pinned.",
        },
    },
};

interface ImageConfig {
    requireDigest: boolean;
    forbiddenTags: string[];
}

/** Why `ref` is not pinned under `config`, or undefined when it is. */
export function imagePinProblem(ref: string, config: ImageConfig): string | undefined {
    if (isImageId(ref)) {
        return undefined;
    }
    const parsed = parseImageReference(ref);
    const digestOk = parsed.digest !== undefined && /^sha256:[0-9a-f]{64}$/.test(parsed.digest);
    if (parsed.digest !== undefined && !digestOk) {
        return `image ${ref} has a malformed digest (expected sha256:<64 hex digits>)`;
    }
    if (config.requireDigest && !digestOk) {
        return `image ${ref} is not pinned by digest (requireDigest is on): use ${parsed.repository}:${parsed.tag ?? "<tag>"}@sha256:<digest>`;
    }
    if (digestOk) {
        return undefined;
    }
    if (parsed.tag === undefined) {
        return `image ${ref} has no tag, which means latest: pin a version tag (or a digest)`;
    }
    const floating = config.forbiddenTags.find((p) => new RegExp(p).test(parsed.tag!));
    if (floating !== undefined) {
        return `image ${ref} uses the floating tag ${JSON.stringify(parsed.tag)}: pin a version tag (or a digest)`;
    }
    return undefined;
}

export const imagePinnedPolicy: ResourceValidationPolicy = {
    name: "docker-image-pinned",
    description: "Images are pinned: no `latest` or other floating tag, no missing tag, and a digest when the policy config requires one.",
    enforcementLevel: "advisory",
    severity: "medium",
    configSchema: schema,
    validateResource: (args, report) => {
        let field: string;
        if (args.type === REMOTE_IMAGE_TYPE) {
            field = "name";
        } else if (args.type === CONTAINER_TYPE) {
            field = "image";
        } else {
            return args.notApplicable(`Policy only applies to '${REMOTE_IMAGE_TYPE}' and '${CONTAINER_TYPE}'`);
        }
        const ref = peek(args.props, field);
        if (ref === UNKNOWN) {
            // A container's image is usually RemoteImage.imageId, known only after the pull; the
            // RemoteImage itself is checked by name.
            return args.notApplicable(`${field} is not known yet (checked on the RemoteImage instead)`);
        }
        if (typeof ref !== "string" || ref.trim() === "") {
            report(`${field} is not set`);
            return;
        }
        const problem = imagePinProblem(ref, configWithDefaults<ImageConfig>(schema, args.getConfig<object>()));
        if (problem !== undefined) {
            report(problem);
        }
    },
};

export const imagePolicies: ResourceValidationPolicy[] = [imagePinnedPolicy];
