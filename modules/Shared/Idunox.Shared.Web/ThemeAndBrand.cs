using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;

namespace Idunox.Shared.Web;

/// <summary>The theme switch (<c>POST /theme</c>) and the brand's stylesheet (<c>GET /brand.css</c>), for every page area.</summary>
internal static partial class ThemeAndBrand
{
    /// <summary>POST /theme (form: theme, returnUrl): keeps the choice for a year and goes back to the page.</summary>
    public static async Task<IResult> SetTheme(HttpContext http, IAntiforgery antiforgery)
    {
        if (!http.Request.HasFormContentType || !await WebSurface.IsFormFromOurPageAsync(http, antiforgery))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The form has expired.",
                detail: "Go back, reload the page and try again.", extensions: new Dictionary<string, object?> { ["code"] = "form_expired" });
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var theme = form["theme"].ToString();
        var back = LocalUrl.Or(form["returnUrl"], "/");
        if (Theme.Choices.Contains(theme))
        {
            http.Response.Cookies.Append(Theme.CookieName, theme, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                Secure = http.Request.IsHttps,
                MaxAge = TimeSpan.FromDays(365),
                Path = "/",
                IsEssential = true,
            });
        }

        return TypedResults.Redirect(back);
    }

    /// <summary>GET /brand.css: the configured brand colour as a custom property (inline styles are not allowed).</summary>
    public static IResult BrandStylesheet(ISiteBrandingSource brand, HttpContext http)
    {
        var colour = HexColour().IsMatch(brand.Current.PrimaryColor) ? brand.Current.PrimaryColor : new Idunox.Shared.Configuration.PortalSettings().Brand.PrimaryColor;
        http.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Text($":root {{ --brand: {colour}; }}\n", "text/css");
    }

    [GeneratedRegex("^#[0-9a-fA-F]{3,8}$")]
    private static partial Regex HexColour();
}
