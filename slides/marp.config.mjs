// Marp's options for every deck (scripts/slides.sh passes this file). Nothing
// may be fetched when a deck is rendered or opened: no emoji images (Marp
// would link Twemoji's), no math fonts, no remote theme; the theme is ours.
export default {
  html: false,
  themeSet: ['./theme/ptvlab.css'],
  options: {
    emoji: { shortcode: false, unicode: false },
    math: false,
  },
  browser: 'chrome',
  browserTimeout: 120,
};
