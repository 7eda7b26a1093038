// Package shim exposes the Terraform random provider's constructor to the bridge.
package shim

import (
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	upstream "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns the upstream Plugin Framework provider.
func NewProvider() fwprovider.Provider { return upstream.New() }
