using System.Net;
using System.Net.Sockets;
using Idunox.Shared.Errors;

namespace Idunox.Credentials.Keys;

/// <summary>
/// A key's IP allow-list: up to <see cref="MaxEntries"/> addresses and CIDR ranges, IPv4 and IPv6 (parsed by
/// <see cref="IPNetwork"/>); an IPv4-mapped IPv6 address, of an entry or of a client, counts as the IPv4 address it maps.
/// The modes: off (no list), <c>report</c> (served, and reported as "would have been refused"), <c>enforce</c> (refused).
/// </summary>
internal static class IpAllowLists
{
    public const int MaxEntries = 50;
    public const string Off = "off";
    public const string Report = "report";
    public const string Enforce = "enforce";
    public const string Field = "ipAllowList";
    public const int MaxStoredLength = 2400;

    /// <summary>
    /// The stored mode and entries for a requested mode and entries, or errors naming what is wrong: an unknown mode, too
    /// many entries, an entry that is not an address or range, a range with bits set past its prefix (naming the range meant).
    /// </summary>
    public static (string? Mode, string? Entries) Parse(string? mode, IReadOnlyList<string>? entries, ValidationErrors errors)
    {
        if (mode is not (Off or Report or Enforce))
        {
            errors.Add($"{Field}.mode", $"The mode is '{Off}', '{Report}' (requests from elsewhere are served and reported) or '{Enforce}' (refused).");
            return (null, null);
        }

        entries ??= [];
        if (entries.Count > MaxEntries)
        {
            errors.Add($"{Field}.entries", $"An allow-list has at most {MaxEntries} entries; use CIDR ranges to cover more addresses.");
            return (null, null);
        }

        var canonical = new List<string>();
        foreach (var entry in entries)
        {
            if (Entry(entry?.Trim()) is { } network)
            {
                canonical.Add(network.ToString());
            }
            else
            {
                var shown = entry is { Length: <= 50 } ? entry : entry?[..50] + "…";
                errors.Add($"{Field}.entries", HostBitsSet(entry?.Trim()) is { } meant
                    ? $"'{shown}' has bits set past its prefix: did you mean {meant}?"
                    : $"'{shown}' is neither an IP address nor a CIDR range such as 203.0.113.0/24 or 2001:db8::/48.");
            }
        }

        if (mode != Off && canonical.Count == 0)
        {
            errors.Add($"{Field}.entries", "Give at least one address or range, or switch the allow-list off.");
        }

        return errors.IsValid && mode != Off ? (mode, string.Join(' ', canonical.Distinct(StringComparer.Ordinal))) : (null, null);
    }

    /// <summary>For the audit trail: "IP allow-list enforce: 203.0.113.0/24, …" (shortened to fit).</summary>
    public static string Describe(string? mode, string? entries)
    {
        if (mode is null)
        {
            return "IP allow-list off";
        }

        var text = $"IP allow-list {mode}: {entries?.Replace(" ", ", ", StringComparison.Ordinal)}";
        return text.Length <= 200 ? text : text[..197] + "…";
    }

    /// <summary>The stored entries as networks.</summary>
    public static IPNetwork[] Networks(string? stored) =>
        stored is null ? [] : [.. stored.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(e => Entry(e)!.Value)];

    public static IReadOnlyList<string> Entries(string? stored) => stored?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];

    /// <summary>An address as the allow-list sees it: an IPv4-mapped IPv6 address as the IPv4 address it maps.</summary>
    public static IPAddress Plain(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>Whether <paramref name="address"/> (an IPv4-mapped one as IPv4) is in one of <paramref name="networks"/>.</summary>
    public static bool Contains(IReadOnlyList<IPNetwork> networks, IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }

        address = Plain(address);

        for (var i = 0; i < networks.Count; i++)
        {
            if (networks[i].Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An entry as a network: a CIDR range, or one address (/32, /128); IPv4-mapped IPv6 as IPv4.</summary>
    private static IPNetwork? Entry(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > 50)
        {
            return null;
        }

        if (!text.Contains('/'))
        {
            return IPAddress.TryParse(text, out var single) ? Single(single) : null;
        }

        // A range with bits set past its prefix ("10.0.0.1/8") is a near miss to name, not a range to quietly correct.
        if (!IPNetwork.TryParse(text, out var network) || !IPAddress.TryParse(text.Split('/')[0], out var written) || !written.Equals(network.BaseAddress))
        {
            return null;
        }

        var bytes = network.BaseAddress.GetAddressBytes();
        return network.BaseAddress.IsIPv4MappedToIPv6 && network.PrefixLength >= 96
            ? new IPNetwork(network.BaseAddress.MapToIPv4(), network.PrefixLength - 96)
            : bytes.Length > 0 ? network : null;
    }

    private static IPNetwork Single(IPAddress address)
    {
        address = Plain(address);
        return new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
    }

    /// <summary>For "10.0.0.1/8": the range meant, "10.0.0.0/8"; null when the text is no such near miss.</summary>
    private static string? HostBitsSet(string? text)
    {
        var parts = text?.Split('/');
        if (parts is not [var address, var prefix] || !IPAddress.TryParse(address, out var ip) || !int.TryParse(prefix, out var length) ||
            length < 0 || length > (ip.AddressFamily == AddressFamily.InterNetwork ? 32 : 128))
        {
            return null;
        }

        var bytes = ip.GetAddressBytes();
        for (var bit = length; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return $"{new IPAddress(bytes)}/{length}";
    }
}

/// <summary>
/// An IP allow-list as requests give it: <c>mode</c> (<c>off</c>, <c>report</c>, <c>enforce</c>) and up to 50
/// <c>entries</c>, addresses or CIDR ranges such as <c>203.0.113.0/24</c> or <c>2001:db8::/48</c>.
/// </summary>
internal sealed record IpAllowListRequest(
    [property: System.ComponentModel.DataAnnotations.AllowedValues(IpAllowLists.Off, IpAllowLists.Report, IpAllowLists.Enforce)] string Mode,
    [property: System.ComponentModel.DataAnnotations.MaxLength(IpAllowLists.MaxEntries)] IReadOnlyList<string>? Entries = null);
