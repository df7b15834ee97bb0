namespace Idunox.Shared.Configuration;

/// <summary>
/// The platform's brand, support address and public addresses (<c>Portal:*</c>), and their defaults: the one place every
/// part reads them from — the pages, <c>GET /v1/partner/config</c>, one-time links, e-mails and the data API's refusals.
/// Bound once by the host.
/// </summary>
public sealed class PortalSettings
{
    public const string SectionName = "Portal";

    public string SupportEmail { get; set; } = "partner@idunox.com";

    public BrandSettings Brand { get; set; } = new();

    public UrlSettings Urls { get; set; } = new();

    public sealed class BrandSettings
    {
        public string Name { get; set; } = "Idunox";

        public string ProductName { get; set; } = "Idunox Partner Portal";

        public string PrimaryColor { get; set; } = "#1f5fbf";

        /// <summary>The themes the portal offers; the first is the default.</summary>
        public IList<string> Themes { get; set; } = ["light", "dark"];
    }

    public sealed class UrlSettings
    {
        public string Portal { get; set; } = "http://localhost:5080/partner";

        public string Api { get; set; } = "http://localhost:5080/v1";

        public string Docs { get; set; } = "http://localhost:5080/docs";

        public string Admin { get; set; } = "http://localhost:5080/admin";
    }
}
