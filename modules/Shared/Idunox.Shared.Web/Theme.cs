using Microsoft.AspNetCore.Http;

namespace Idunox.Shared.Web;

/// <summary>
/// The colour theme is the reader's choice, kept in a cookie and rendered into <c>&lt;html data-theme&gt;</c> by the
/// server, so the first paint is already right: <c>system</c> follows <c>prefers-color-scheme</c>.
/// </summary>
public static class Theme
{
    public const string CookieName = "idunox.theme";
    public const string System = "system";
    public const string Light = "light";
    public const string Dark = "dark";

    public static readonly IReadOnlyList<string> Choices = [System, Light, Dark];

    public static string Of(HttpContext? http) =>
        http?.Request.Cookies[CookieName] is { } value && Choices.Contains(value) ? value : System;

    public static string Label(string theme) => theme switch
    {
        Light => "Light",
        Dark => "Dark",
        _ => "System",
    };
}
