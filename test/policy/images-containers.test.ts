import { describe, expect, it } from "vitest";
import { healthcheckPolicy, notPrivilegedPolicy, restartPolicy } from "../../policy/containers";
import { REMOTE_IMAGE_TYPE, imagePinnedPolicy, parseImageReference } from "../../policy/images";
import { brokerContainer, databaseContainer } from "./fixtures";
import { UNKNOWN_INPUT, runResourcePolicy } from "./harness";

const image = (name: unknown) => ({ type: REMOTE_IMAGE_TYPE, inputs: { name, keepLocally: true } });
const DIGEST = "sha256:" + "0123456789abcdef".repeat(4);

describe("docker-image-pinned", () => {
    it("parses registry ports, tags and digests", () => {
        expect(parseImageReference("localhost:5000/emqx/emqx:5.8.6@" + DIGEST)).toEqual({ repository: "localhost:5000/emqx/emqx", tag: "5.8.6", digest: DIGEST });
        expect(parseImageReference("localhost:5000/emqx")).toEqual({ repository: "localhost:5000/emqx", tag: undefined, digest: undefined });
    });
    it("passes version tags, digests and image IDs", async () => {
        for (const name of ["emqx/emqx:5.8.6", "timescale/timescaledb:2.17.2-pg17", `emqx/emqx:5.8.6@${DIGEST}`]) {
            expect((await runResourcePolicy(imagePinnedPolicy, image(name))).violations).toEqual([]);
        }
        expect((await runResourcePolicy(imagePinnedPolicy, brokerContainer())).violations).toEqual([]);
    });
    it("flags latest, floating and missing tags", async () => {
        expect((await runResourcePolicy(imagePinnedPolicy, image("emqx/emqx:latest"))).violations).toEqual([expect.stringMatching(/floating tag "latest"/)]);
        expect((await runResourcePolicy(imagePinnedPolicy, image("timescale/timescaledb:latest-pg17"))).violations).toEqual([expect.stringMatching(/floating tag "latest-pg17"/)]);
        expect((await runResourcePolicy(imagePinnedPolicy, image("emqx/emqx"))).violations).toEqual([expect.stringMatching(/no tag/)]);
        expect((await runResourcePolicy(imagePinnedPolicy, databaseContainer({ image: "postgres" }))).violations).toHaveLength(1);
    });
    it("requires a digest when configured", async () => {
        expect((await runResourcePolicy(imagePinnedPolicy, image("emqx/emqx:5.8.6"), { requireDigest: true })).violations).toEqual([expect.stringMatching(/not pinned by digest/)]);
        expect((await runResourcePolicy(imagePinnedPolicy, image(`emqx/emqx:5.8.6@${DIGEST}`), { requireDigest: true })).violations).toEqual([]);
        expect((await runResourcePolicy(imagePinnedPolicy, image("emqx/emqx:5.8.6@sha256:abc"))).violations).toEqual([expect.stringMatching(/malformed digest/)]);
    });
    it("leaves a container whose image ID is not known yet to the RemoteImage", async () => {
        expect((await runResourcePolicy(imagePinnedPolicy, databaseContainer({ image: UNKNOWN_INPUT }))).notApplicable).toMatch(/not known yet/);
    });
});

describe("container-not-privileged", () => {
    it("passes an unprivileged container", async () => {
        expect((await runResourcePolicy(notPrivilegedPolicy, brokerContainer())).violations).toEqual([]);
    });
    it("flags privileged and forbidden capabilities", async () => {
        const outcome = await runResourcePolicy(notPrivilegedPolicy, databaseContainer({ privileged: true, capabilities: { adds: ["CAP_SYS_ADMIN", "CHOWN"] } }));
        expect(outcome.violations).toEqual([expect.stringMatching(/privileged = true/), expect.stringMatching(/CAP_SYS_ADMIN/)]);
    });
    it("does not apply to other resource types", async () => {
        expect((await runResourcePolicy(notPrivilegedPolicy, image("emqx/emqx:5.8.6"))).notApplicable).toBeDefined();
    });
});

describe("container-restart-policy", () => {
    it("passes unless-stopped", async () => {
        expect((await runResourcePolicy(restartPolicy, brokerContainer())).violations).toEqual([]);
    });
    it("flags a missing restart policy (provider default no)", async () => {
        expect((await runResourcePolicy(restartPolicy, databaseContainer({ restart: undefined }))).violations).toEqual([expect.stringMatching(/"no" \(the provider's default\)/)]);
        expect((await runResourcePolicy(restartPolicy, databaseContainer({ restart: "always" }), { allowedPolicies: ["unless-stopped"] })).violations).toHaveLength(1);
    });
});

describe("container-healthcheck", () => {
    it("passes a container with a healthcheck", async () => {
        expect((await runResourcePolicy(healthcheckPolicy, brokerContainer())).violations).toEqual([]);
    });
    it("flags a missing or disabled healthcheck", async () => {
        expect((await runResourcePolicy(healthcheckPolicy, databaseContainer({ healthcheck: undefined }))).violations).toEqual([expect.stringMatching(/no healthcheck/)]);
        expect((await runResourcePolicy(healthcheckPolicy, databaseContainer({ healthcheck: { tests: ["NONE"] } }))).violations).toEqual([expect.stringMatching(/disabled/)]);
    });
});
