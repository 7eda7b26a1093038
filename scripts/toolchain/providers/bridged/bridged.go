// Package bridged holds the bridge configuration (ProviderInfo) of the providers this
// project builds itself. The official pulumi-<name>/provider/vN modules are not served
// by the Go module proxy reachable here, so the same upstream Terraform providers are
// bridged with the same bridge library, and tokens are laid out as in the npm SDKs
// (@pulumi/random, @pulumi/tls): one "index" module, random names prefixed "Random".
package bridged

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	tlsshim "github.com/hashicorp/terraform-provider-tls/shim"
	randomshim "github.com/terraform-providers/terraform-provider-random/shim"
)

// Versions are stamped at link time (-ldflags -X) with the npm SDK's pulumi.version.
var (
	RandomVersion = "0.0.0-dev"
	TLSVersion    = "0.0.0-dev"
)

// metadataInfo wraps the bridge metadata (bridge-metadata.json, written by tfgen next to
// the schema and embedded in the provider binary); tfgen itself starts from none.
func metadataInfo(meta []byte) *tfbridge.MetadataInfo {
	if len(meta) == 0 {
		meta = []byte("{}")
	}
	return tfbridge.NewProviderMetadata(meta)
}

// Random is the ProviderInfo for pulumi-resource-random.
func Random(meta []byte) tfbridge.ProviderInfo {
	p := tfbridge.ProviderInfo{
		P:            pf.ShimProvider(randomshim.NewProvider()),
		Name:         "random",
		Version:      RandomVersion,
		MetadataInfo: metadataInfo(meta),
		License:      "Apache-2.0",
		Repository:   "https://github.com/pulumi/pulumi-random",
		Resources: map[string]*tfbridge.ResourceInfo{
			// random_bytes has no "id" attribute: derive one from its value.
			"random_bytes": {ComputeID: idFromProperty("base64")},
		},
		JavaScript:                  &tfbridge.JavaScriptInfo{RespectSchemaVersion: true},
		EnableAccurateBridgePreview: true,
		EnableRawStateDelta:         true,
	}
	prefixed := func(module, name string) (string, error) {
		return tokens.MakeStandard("random")(module, "Random"+name)
	}
	p.MustComputeTokens(tokens.SingleModule("random_", "index", prefixed))
	return p
}

// TLS is the ProviderInfo for pulumi-resource-tls.
func TLS(meta []byte) tfbridge.ProviderInfo {
	p := tfbridge.ProviderInfo{
		P:                           pf.ShimProvider(tlsshim.NewProvider()),
		Name:                        "tls",
		Version:                     TLSVersion,
		MetadataInfo:                metadataInfo(meta),
		License:                     "Apache-2.0",
		Repository:                  "https://github.com/pulumi/pulumi-tls",
		JavaScript:                  &tfbridge.JavaScriptInfo{RespectSchemaVersion: true},
		EnableAccurateBridgePreview: true,
		EnableRawStateDelta:         true,
	}
	p.MustComputeTokens(tokens.SingleModule("tls_", "index", tokens.MakeStandard("tls")))
	return p
}

func idFromProperty(key resource.PropertyKey) func(context.Context, resource.PropertyMap) (resource.ID, error) {
	return func(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
		v, ok := state[key]
		if !ok {
			return "", errors.New("missing property " + string(key))
		}
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		if !v.IsString() {
			return "", errors.New("property " + string(key) + " is not a string")
		}
		sum := sha256.Sum256([]byte(v.StringValue()))
		return resource.ID(hex.EncodeToString(sum[:16])), nil
	}
}
