namespace Idunox.Identity.Configuration;

/// <summary>What the portal tells the world about itself (<c>Portal:*</c>), published by <c>GET /v1/partner/config</c>.</summary>
internal sealed class PortalOptions
{
    public const string SectionName = "Portal";

    public string SupportEmail { get; set; } = "partner@idunox.com";

    public BrandOptions Brand { get; set; } = new();

    public UrlOptions Urls { get; set; } = new();

    internal sealed class BrandOptions
    {
        public string Name { get; set; } = "Idunox";

        public string ProductName { get; set; } = "Idunox Partner Portal";

        public string PrimaryColor { get; set; } = "#1f5fbf";

        /// <summary>The themes the portal offers; the first is the default.</summary>
        public IList<string> Themes { get; set; } = ["light", "dark"];
    }

    internal sealed class UrlOptions
    {
        public string Portal { get; set; } = "http://localhost:5080/partner";

        public string Api { get; set; } = "http://localhost:5080/v1";

        public string Docs { get; set; } = "http://localhost:5080/docs";

        public string Admin { get; set; } = "http://localhost:5080/admin";
    }
}
