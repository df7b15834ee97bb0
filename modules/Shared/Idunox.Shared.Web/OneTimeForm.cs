using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Idunox.Shared.Web;

/// <summary>
/// A form that does its work once. Showing the form sets a random token in a cookie and in a hidden field; sending it
/// redeems the token (the answer deletes the cookie). Reloading the answer, or going back and sending again, finds no
/// token: nothing is done twice, and a key's secret is never made or shown again. Nothing is kept on the server, so it
/// works on any number of servers.
/// </summary>
public static class OneTimeForm
{
    public const string FieldName = "formToken";

    public static string Issue(HttpContext http, string form)
    {
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        http.Response.Cookies.Append(CookieName(http, form), token, Options(http, TimeSpan.FromHours(2)));
        return token;
    }

    /// <summary>True once for the token the form was shown with; the cookie is deleted either way.</summary>
    /// <summary>
    /// The answer to a form sent again (a reload, a double click): 409, nothing done; a fresh token for the form shown
    /// again. The page says so in its own words.
    /// </summary>
    public static string AlreadySent(HttpContext http, string form)
    {
        http.Response.StatusCode = StatusCodes.Status409Conflict;
        return Issue(http, form);
    }

    public static bool Redeem(HttpContext http, string form, string? presented)
    {
        var expected = http.Request.Cookies[CookieName(http, form)];
        http.Response.Cookies.Delete(CookieName(http, form), Options(http, null));
        return !string.IsNullOrEmpty(expected) && presented is not null && presented.Length == expected.Length &&
               CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(expected), System.Text.Encoding.ASCII.GetBytes(presented));
    }

    /// <summary>On HTTPS a <c>__Host-</c> cookie (no sibling subdomain can plant one), named for its surface and form.</summary>
    private static string CookieName(HttpContext http, string form) =>
        WebSurface.CookieName($"idunox.once.{(Surfaces.Of(http).Surface == Surface.Admin ? "admin" : "partner")}.{form}", http.Request.IsHttps);

    private static CookieOptions Options(HttpContext http, TimeSpan? maxAge) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = http.Request.IsHttps,
        Path = "/",
        MaxAge = maxAge,
        IsEssential = true,
    };
}
