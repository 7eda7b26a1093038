// Package shim exposes the Terraform tls provider's constructor to the bridge.
package shim

import (
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	upstream "github.com/hashicorp/terraform-provider-tls/internal/provider"
)

// NewProvider returns the upstream Plugin Framework provider.
func NewProvider() fwprovider.Provider { return upstream.New() }
