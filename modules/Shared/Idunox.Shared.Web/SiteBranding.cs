namespace Idunox.Shared.Web;

/// <summary>
/// What every page shows of the brand and the environment: configured once (<c>Portal:*</c>, owned by the Identity
/// module, which also publishes it at <c>/v1/partner/config</c>) and read by the layouts.
/// </summary>
public sealed record SiteBranding(
    string BrandName,
    string ProductName,
    string PrimaryColor,
    string SupportEmail,
    string DocsUrl,
    string ApiUrl,
    string? Environment)
{
    /// <summary>The data API's "who am I?" endpoint, for the ready-made curl line after a key is made.</summary>
    public string ProbeUrl => $"{ApiUrl.TrimEnd('/')}/partner-auth-probe";

    /// <summary>Anything but production is shown as a banner, so nobody mistakes test keys for production ones.</summary>
    public bool IsProduction => Environment is null or "live" or "production";

    public string EnvironmentLabel => Environment switch
    {
        null or "live" or "production" => "Production",
        "test" => "Test environment",
        { } other => $"{char.ToUpperInvariant(other[0])}{other[1..]} environment",
    };
}

/// <summary>Provides the branding; the Identity module registers the real one.</summary>
public interface ISiteBrandingSource
{
    SiteBranding Current { get; }
}
