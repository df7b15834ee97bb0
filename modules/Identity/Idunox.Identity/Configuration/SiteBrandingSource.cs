using Idunox.Identity.Contracts;
using Idunox.Shared.Web;
using Microsoft.Extensions.Options;

namespace Idunox.Identity.Configuration;

/// <summary>The pages' branding, from the same <c>Portal:*</c> settings that <c>/v1/partner/config</c> publishes.</summary>
internal sealed class SiteBrandingSource(IOptions<Idunox.Shared.Configuration.PortalSettings> portal, IKeyPolicyPublisher keyPolicy) : ISiteBrandingSource
{
    private SiteBranding? _current;

    public SiteBranding Current => _current ??= Build();

    private SiteBranding Build()
    {
        var p = portal.Value;
        var environment = keyPolicy.Published?.Environment;
        return new SiteBranding(p.Brand.Name, p.Brand.ProductName, p.Brand.PrimaryColor, p.SupportEmail, p.Urls.Docs, p.Urls.Api, environment);
    }
}
