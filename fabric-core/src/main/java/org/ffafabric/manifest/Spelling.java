package org.ffafabric.manifest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The known names a misspelt one is closest to, for a refusal to suggest: the same name in another
 * case, with underscores or in camelCase ("execution_contexts", "executionContexts"), or one or two
 * edits away ("memroy"). Deterministic: the closest, in the order they are known.
 */
public final class Spelling
{
    private Spelling()
    {
    }

    /**
     * The names in {@code known} that {@code given} is closest to, in their order; none when it is not
     * close to any. One edit (a character added, dropped, changed, or two swapped) is close to a name
     * of up to four characters, two to a longer one.
     */
    public static List<String> closest(final String given, final List<String> known)
    {
        final String spelt = hyphenated(given);
        final List<String> closest = new ArrayList<>();
        int best = Integer.MAX_VALUE;
        for (final String name : known)
        {
            final int limit = name.length() <= 4 ? 1 : 2;
            final int distance = spelt.equals(name) ? 0 :
                Math.abs(spelt.length() - name.length()) > limit ? limit + 1 : distance(spelt, name);
            if (distance <= limit && distance <= best)
            {
                if (distance < best)
                {
                    closest.clear();
                    best = distance;
                }
                closest.add(name);
            }
        }
        return closest;
    }

    /** "did you mean 'a'?" or "did you mean 'a' or 'b'?". */
    static String didYouMean(final List<String> names)
    {
        final StringBuilder text = new StringBuilder("did you mean ");
        for (int i = 0; i < names.size(); i++)
        {
            text.append(i == 0 ? "" : " or ").append(ManifestException.quote(names.get(i)));
        }
        return text.append('?').toString();
    }

    /** A name in the manifest's spelling: lower case, words joined by hyphens, not underscores or capitals. */
    static String hyphenated(final String name)
    {
        final StringBuilder out = new StringBuilder(name.length() + 4);
        for (int i = 0; i < name.length(); i++)
        {
            final char c = name.charAt(i);
            if (Character.isUpperCase(c) && i > 0 &&
                (Character.isLowerCase(name.charAt(i - 1)) || Character.isDigit(name.charAt(i - 1))))
            {
                out.append('-');
            }
            out.append(c == '_' ? '-' : c);
        }
        return out.toString().toLowerCase(Locale.ROOT);
    }

    /** Edits from one to the other: characters added, dropped or changed, and two neighbours swapped. */
    private static int distance(final String a, final String b)
    {
        final int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++)
        {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++)
        {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++)
        {
            for (int j = 1; j <= b.length(); j++)
            {
                final int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1))
                {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
