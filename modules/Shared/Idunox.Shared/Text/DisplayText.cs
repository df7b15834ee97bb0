using System.Globalization;
using System.Text;

namespace Idunox.Shared.Text;

/// <summary>
/// Rules for text that people read elsewhere (key names, display names, organisation names end up in lists, e-mail
/// subjects and audit trails): no control or format characters, so a name cannot reorder (U+202E), hide (zero-width)
/// or break (U+2028) what a reader sees. Letters of every script and emoji stay welcome: a zero-width joiner or
/// non-joiner is accepted where scripts and emoji use it, between two letters or two pictographs.
/// </summary>
public static class DisplayText
{
    private const int ZeroWidthNonJoiner = 0x200C;
    private const int ZeroWidthJoiner = 0x200D;

    /// <summary>True when <paramref name="text"/> holds a character that would change how the rest of it reads.</summary>
    public static bool HasHiddenOrControlCharacters(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var runes = new List<Rune>(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune == Rune.ReplacementChar && !text.Contains('\uFFFD', StringComparison.Ordinal))
            {
                return true; // a lone surrogate
            }

            runes.Add(rune);
        }

        for (var i = 0; i < runes.Count; i++)
        {
            var category = Rune.GetUnicodeCategory(runes[i]);
            switch (category)
            {
                case UnicodeCategory.Control or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate:
                    return true;
                case UnicodeCategory.Format when !IsJoinerInContext(runes, i):
                    return true;
            }
        }

        return false;
    }

    private static bool IsJoinerInContext(List<Rune> runes, int i)
    {
        var value = runes[i].Value;
        if ((value != ZeroWidthJoiner && value != ZeroWidthNonJoiner) || i == 0 || i == runes.Count - 1)
        {
            return false;
        }

        var (before, after) = (runes[i - 1], runes[i + 1]);
        return (Rune.IsLetter(before) && Rune.IsLetter(after)) ||
               (value == ZeroWidthJoiner && IsPictograph(before) && IsPictograph(after));
    }

    // Emoji live in these blocks; a variation selector (U+FE0F, a mark, not a format character) may sit before the joiner.
    private static bool IsPictograph(Rune rune) =>
        rune.Value is >= 0x1F000 and <= 0x1FAFF or >= 0x2600 and <= 0x27BF or 0xFE0F or >= 0x1F3FB and <= 0x1F3FF;
}
