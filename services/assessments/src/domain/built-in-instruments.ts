// The instruments Spor ships, written for Spor (not copies of licensed material), for every
// municipality; a municipality adds its own instruments, or new versions, through the admin API.
// A published version never changes, so a built-in is corrected by a new version beside the old
// one: both are here, new assessments use the newest, and every assessment keeps its own. Category thresholds are starting points a municipality may revise in
// a new version; every assessment keeps the version it was made with.
import type { Category, InstrumentDefinition, Item } from './instrument.js';

const DAYCARE = ['dagpleje', 'vuggestue', 'boernehave'];
const ALL = [...DAYCARE, 'skole', 'sfo'];

const scale = (id: string, text: string): Item => ({ id, text, type: 'scale', required: true, min: 1, max: 4 });
const yesNo = (id: string, text: string): Item => ({ id, text, type: 'yes-no', required: true });
const note = (id: string, text = 'Bemærkninger'): Item => ({ id, text, type: 'free-text', required: false });

const themeCategories: Category[] = [
  { id: 'needs-attention', label: 'Kræver særlig opmærksomhed', max: 1.99 },
  { id: 'developing', label: 'I udvikling', min: 2, max: 2.99 },
  { id: 'thriving', label: 'Trives og udvikler sig alderssvarende', min: 3 },
];

/** Well-being traffic light in the spirit of TOPI: rated by at least two professionals, then jointly. */
const wellbeing: InstrumentDefinition = {
  instrumentId: 'trivselsvurdering',
  version: 1,
  title: 'Trivselsvurdering (trafiklys)',
  description: 'Fagpersonernes vurdering af barnets trivsel som grøn, gul eller rød, med de områder der giver anledning til bekymring. Mindst to fagpersoner vurderer hver for sig, derefter gives en fælles vurdering.',
  target: 'child',
  institutionTypes: ALL,
  parentsTakePart: false,
  independentRaters: 2,
  sections: [
    {
      id: 'trivsel',
      title: 'Trivsel',
      items: [
        { id: 'samlet', text: 'Barnets trivsel samlet set', type: 'traffic-light', required: true },
        {
          id: 'omraader',
          text: 'Områder der giver anledning til opmærksomhed',
          type: 'multiple',
          required: false,
          options: [
            { value: 'socialt', label: 'Socialt samspil' },
            { value: 'foelelsesmaessigt', label: 'Følelsesmæssigt' },
            { value: 'sprog', label: 'Sprog og kommunikation' },
            { value: 'motorik', label: 'Krop og motorik' },
            { value: 'laering', label: 'Leg og læring' },
            { value: 'familie', label: 'Familieforhold' },
            { value: 'helbred', label: 'Helbred og basale behov' },
          ],
        },
        note('begrundelse', 'Begrundelse'),
      ],
    },
  ],
  scoring: [
    {
      section: 'trivsel',
      method: 'max',
      categories: [
        { id: 'green', label: 'Grøn: barnet trives', max: 0 },
        { id: 'yellow', label: 'Gul: opmærksomhed på barnets trivsel', min: 1, max: 1 },
        { id: 'red', label: 'Rød: bekymring for barnets trivsel', min: 2 },
      ],
    },
  ],
};

const THEMES: [string, string][] = [
  ['personlig', 'Alsidig personlig udvikling'],
  ['social', 'Social udvikling'],
  ['sprog', 'Kommunikation og sprog'],
  ['krop', 'Krop, sanser og bevægelse'],
  ['natur', 'Natur, udeliv og science'],
  ['kultur', 'Kultur, æstetik og fællesskab'],
];

/** All-round development dialog across the six themes of the pedagogical curriculum, with a parents' part. */
const development: InstrumentDefinition = {
  instrumentId: 'alsidig-udvikling',
  version: 1,
  title: 'Dialog om alsidig udvikling',
  description: 'Pædagogernes vurdering af barnets udvikling inden for de seks læreplanstemaer (1 = i ringe grad, 4 = i høj grad), og forældrenes egne iagttagelser hjemmefra.',
  target: 'child',
  institutionTypes: DAYCARE,
  ageMonths: { min: 12, max: 84 },
  parentsTakePart: true,
  sections: [
    ...THEMES.map(([id, title]) => ({
      id,
      title,
      items: [scale(`${id}-engagement`, `Barnet engagerer sig i: ${title.toLowerCase()}`), scale(`${id}-mestring`, `Barnet mestrer alderssvarende: ${title.toLowerCase()}`), note(`${id}-note`)],
    })),
    {
      id: 'foraeldre',
      title: 'Forældrenes del',
      parents: true,
      items: [scale('foraeldre-trivsel', 'Hvordan oplever I, at jeres barn trives i hverdagen?'), note('foraeldre-styrker', 'Hvad er jeres barn særligt glad for og god til?'), note('foraeldre-bekymring', 'Er der noget, I er bekymrede for?')],
    },
  ],
  scoring: THEMES.map(([id]) => ({ section: id, method: 'mean' as const, categories: themeCategories })),
};

/** Language screening in three age bands: the score maps to general, focused or special effort. */
const LANGUAGE_ITEMS: [string, string][] = [
  ['forstaar-instruktion', 'Forstår en instruktion i to led'],
  ['benaevner', 'Benævner hverdagsting på billeder'],
  ['saetninger', 'Taler i sætninger med flere ord'],
  ['fortaeller', 'Fortæller om noget, der er sket'],
  ['spoergeord', 'Forstår og bruger spørgeord (hvem, hvad, hvor)'],
  ['rim', 'Kan høre om to ord rimer'],
  ['lyde', 'Udtaler sprogets lyde tydeligt'],
  ['samtale', 'Deltager i en samtale med skiftevis tur'],
  ['begreber', 'Forstår begreber som over, under, foran og bagved'],
  ['bogstaver', 'Kender navnet på nogle bogstaver'],
  ['genfortaeller', 'Genfortæller en kort historie i rækkefølge'],
  ['ordforraad', 'Har et alderssvarende ordforråd'],
];
const band = (min: number, max: number, general: number, focused: number): Category[] => [
  { id: 'general', label: 'Generel indsats', min: general, ageMonths: { min, max } },
  { id: 'focused', label: 'Fokuseret indsats', min: focused, max: general - 1, ageMonths: { min, max } },
  { id: 'special', label: 'Særlig indsats', max: focused - 1, ageMonths: { min, max } },
];
const language: InstrumentDefinition = {
  instrumentId: 'sprogvurdering',
  version: 1,
  title: 'Sprogvurdering (3 år, 5 år og før skolestart)',
  description: 'Screening af barnets sproglige udvikling efter dagtilbudslovens § 11. Scoren sammenholdes med barnets alder: 3-årsbåndet (30–47 mdr.), 5-årsbåndet (48–65 mdr.) og før skolestart (66–84 mdr.).',
  target: 'child',
  institutionTypes: [...DAYCARE, 'skole'],
  ageMonths: { min: 30, max: 84 },
  parentsTakePart: false,
  sections: [{ id: 'sprog', title: 'Sproglige færdigheder', items: [...LANGUAGE_ITEMS.map(([id, text]) => yesNo(id, text)), note('note')] }],
  scoring: [{ section: 'sprog', method: 'sum', categories: [...band(30, 47, 7, 4), ...band(48, 65, 9, 6), ...band(66, 84, 11, 8)] }],
};

const motorCategories: Category[] = [
  { id: 'needs-support', label: 'Behov for støtte', max: 4 },
  { id: 'watch', label: 'Hold øje', min: 5, max: 7 },
  { id: 'as-expected', label: 'Alderssvarende', min: 8 },
];
const motor: InstrumentDefinition = {
  instrumentId: 'motorik',
  version: 1,
  title: 'Motorisk screening',
  description: 'Observation af grov- og finmotorik i leg og hverdag (0 = ikke endnu, 1 = på vej, 2 = sikkert).',
  target: 'child',
  institutionTypes: [...DAYCARE, 'skole'],
  ageMonths: { min: 24, max: 84 },
  parentsTakePart: false,
  sections: [
    {
      id: 'grovmotorik',
      title: 'Grovmotorik',
      items: [
        ['hopper', 'Hopper samlet med begge ben'],
        ['balance', 'Står på ét ben'],
        ['kaster', 'Kaster og griber en bold'],
        ['trapper', 'Går på trapper med skiftevis ben'],
        ['loeber', 'Løber og stopper kontrolleret'],
      ].map(([id, text]) => ({ id: id!, text: text!, type: 'scale' as const, required: true, min: 0, max: 2 })),
    },
    {
      id: 'finmotorik',
      title: 'Finmotorik',
      items: [
        ['blyant', 'Holder en blyant med et modent greb'],
        ['klipper', 'Klipper langs en streg'],
        ['perler', 'Sætter perler på en plade'],
        ['tegner', 'Tegner en person med flere detaljer'],
        ['knapper', 'Kan knappe og lyne'],
      ].map(([id, text]) => ({ id: id!, text: text!, type: 'scale' as const, required: true, min: 0, max: 2 })),
    },
  ],
  scoring: [
    { section: 'grovmotorik', method: 'sum', categories: motorCategories },
    { section: 'finmotorik', method: 'sum', categories: motorCategories },
  ],
};

const environmentCategories: Category[] = [
  { id: 'needs-development', label: 'Udviklingsområde', max: 2.49 },
  { id: 'adequate', label: 'Tilstrækkeligt', min: 2.5, max: 3.24 },
  { id: 'strong', label: 'Styrke', min: 3.25 },
];
/** The learning environment of a group, including interviews with the oldest children. */
const environment: InstrumentDefinition = {
  instrumentId: 'laeringsmiljoe',
  version: 1,
  title: 'Vurdering af læringsmiljøet',
  description: 'Personalets vurdering af gruppens læringsmiljø (1 = i ringe grad, 4 = i høj grad), med en del til interview med de ældste børn.',
  target: 'group',
  institutionTypes: [...DAYCARE, 'sfo'],
  parentsTakePart: false,
  sections: [
    { id: 'relationer', title: 'Relationer', items: [scale('voksen-barn', 'De voksne er nærværende og lydhøre over for børnene'), scale('barn-barn', 'Børnene har gode relationer til hinanden'), note('relationer-note')] },
    { id: 'leg', title: 'Leg', items: [scale('legerum', 'Der er tid og rum til børnenes egen leg'), scale('voksenleg', 'De voksne understøtter legen uden at overtage den'), note('leg-note')] },
    { id: 'rutiner', title: 'Rutiner og overgange', items: [scale('rutiner-laering', 'Hverdagens rutiner bruges som læringsrum'), scale('overgange', 'Overgange i løbet af dagen er rolige og forudsigelige'), note('rutiner-note')] },
    { id: 'rammer', title: 'Fysiske rammer', items: [scale('indretning', 'Indretningen inviterer til forskellige aktiviteter'), scale('materialer', 'Materialer er tilgængelige for børnene'), note('rammer-note')] },
    {
      id: 'boerneinterview',
      title: 'Interview med de ældste børn',
      items: [
        scale('boern-glad', 'Børnene fortæller, at de er glade for at være her'),
        scale('boern-venner', 'Børnene fortæller, at de har nogen at lege med'),
        scale('boern-indflydelse', 'Børnene oplever, at de bliver hørt'),
        note('boern-citater', 'Børnenes egne ord (uden navne)'),
      ],
    },
  ],
  scoring: ['relationer', 'leg', 'rutiner', 'rammer', 'boerneinterview'].map((section) => ({ section, method: 'mean' as const, categories: environmentCategories })),
};

/**
 * Motor skills, version 2: from three years, with thresholds for the youngest of their own.
 * Version 1 measured a two-year-old against a six-year-old's cut-offs, on items such as cutting
 * along a line that few two-year-olds do.
 */
const youngerMotor: Category[] = [
  { id: 'needs-support', label: 'Behov for støtte', max: 3, ageMonths: { min: 36, max: 59 } },
  { id: 'watch', label: 'Hold øje', min: 4, max: 5, ageMonths: { min: 36, max: 59 } },
  { id: 'as-expected', label: 'Alderssvarende', min: 6, ageMonths: { min: 36, max: 59 } },
];
const olderMotor = motorCategories.map((c) => ({ ...c, ageMonths: { min: 60, max: 84 } }));
const motorV2: InstrumentDefinition = {
  ...motor,
  version: 2,
  description: 'Observation af grov- og finmotorik i leg og hverdag fra 3 år (0 = ikke endnu, 1 = på vej, 2 = sikkert). Scoren sammenholdes med barnets alder: 3–4 år (36–59 mdr.) og 5–6 år (60–84 mdr.).',
  ageMonths: { min: 36, max: 84 },
  scoring: motor.scoring.map((rule) => ({ ...rule, categories: [...youngerMotor, ...olderMotor] })),
};

/**
 * The learning environment, version 2: the interview with the oldest children is answered where
 * there are children old enough to be interviewed. In a crèche or a childminder's group there
 * are none, and version 1 could not be completed there without made-up answers; the section then
 * has no score and no category.
 */
const environmentV2: InstrumentDefinition = {
  ...environment,
  version: 2,
  sections: environment.sections.map((section) => (section.id === 'boerneinterview' ? { ...section, items: section.items.map((item) => ({ ...item, required: false })) } : section)),
};

/**
 * Well-being, version 2: a yellow or red rating names the areas of concern. In version 1 they
 * were optional, so a concern could be recorded without saying what it is about, which is what
 * the team follows up on.
 */
const wellbeingV2: InstrumentDefinition = {
  ...wellbeing,
  version: 2,
  sections: wellbeing.sections.map((section) => ({ ...section, items: section.items.map((item) => (item.id === 'omraader' ? { ...item, requiredWhen: { item: 'samlet', values: ['yellow', 'red'] } } : item)) })),
};

/**
 * Language, version 2: the band before school start runs to 91 months. A child whose school start
 * is deferred (daycare act § 29a) starts school in the August of the year it turns seven, at up to
 * 7 years and 7 months, and the duty before school start runs on to then (duties.ts). Version 1
 * ended at 84 months, so a child born in the first half of the year was listed as due, then
 * overdue, and could not be assessed.
 */
const languageV2: InstrumentDefinition = {
  ...language,
  version: 2,
  description: 'Screening af barnets sproglige udvikling efter dagtilbudslovens § 11. Scoren sammenholdes med barnets alder: 3-årsbåndet (30–47 mdr.), 5-årsbåndet (48–65 mdr.) og før skolestart (66–91 mdr., også ved udsat skolestart).',
  ageMonths: { min: 30, max: 91 },
  scoring: [{ section: 'sprog', method: 'sum', categories: [...band(30, 47, 7, 4), ...band(48, 65, 9, 6), ...band(66, 91, 11, 8)] }],
};

/**
 * Deferred school start (daycare act § 29 a): a child may start school a year later when it is
 * best for the child's development, and the daycare leader's written assessment, with the
 * parents' view and the receiving school leader's, is what the decision rests on. The staff
 * judge the child's readiness; the recommendation is a category of its own, so it travels in the
 * event and the handover as a code, never as the written reasons.
 */
const readiness: Category[] = [
  { id: 'not-yet', label: 'Ikke endnu', max: 1.99 },
  { id: 'partly', label: 'Delvist', min: 2, max: 2.99 },
  { id: 'ready', label: 'Parat', min: 3 },
];
const schoolStart: InstrumentDefinition = {
  instrumentId: 'udsat-skolestart',
  version: 1,
  title: 'Vurdering af udsat skolestart (dagtilbudslovens § 29 a)',
  description: 'Dagtilbudslederens skriftlige vurdering af, om barnets skolestart bør udsættes et år af hensyn til barnets udvikling, med forældrenes syn og den modtagende skoleleders syn.',
  target: 'child',
  institutionTypes: DAYCARE,
  // From the spring of the year before school start (a child born in December is then about 4½).
  ageMonths: { min: 52, max: 84 },
  parentsTakePart: true,
  sections: [
    {
      id: 'parathed',
      title: 'Barnets udvikling og parathed',
      items: [
        scale('faellesskab', 'Barnet indgår i fællesskaber og samarbejder med andre børn'),
        scale('selvhjulpen', 'Barnet er selvhjulpent i hverdagen'),
        scale('opmaerksomhed', 'Barnet kan fastholde opmærksomheden på en fælles aktivitet'),
        scale('sprog-faellesskab', 'Barnets sprog rækker til at følge og deltage i det fælles'),
        scale('robusthed', 'Barnet håndterer skift og nye krav'),
        note('parathed-note'),
      ],
    },
    {
      id: 'skoleleder',
      title: 'Den modtagende skoleleders syn',
      items: [
        {
          id: 'skoleleder-syn',
          text: 'Skolelederens syn på barnets skolestart',
          type: 'single',
          required: true,
          options: [
            { value: 'start', label: 'Skolestart som planlagt' },
            { value: 'udsaet', label: 'Udsat skolestart' },
            { value: 'ikke-afgivet', label: 'Skolelederen har ikke afgivet sit syn' },
          ],
        },
        note('skoleleder-begrundelse', 'Skolelederens begrundelse'),
      ],
    },
    {
      id: 'foraeldre',
      title: 'Forældrenes syn',
      parents: true,
      items: [
        {
          id: 'foraeldre-oenske',
          text: 'Hvad ønsker I for jeres barns skolestart?',
          type: 'single',
          required: true,
          options: [
            { value: 'start', label: 'Skolestart som planlagt' },
            { value: 'udsaet', label: 'Udsat skolestart' },
            { value: 'usikre', label: 'Vi er i tvivl' },
          ],
        },
        note('foraeldre-begrundelse', 'Hvorfor?'),
      ],
    },
    {
      id: 'anbefaling',
      title: 'Dagtilbudslederens anbefaling',
      items: [yesNo('anbefaler-udsaettelse', 'Dagtilbudslederen anbefaler, at skolestarten udsættes et år'), { id: 'begrundelse', text: 'Begrundelse for anbefalingen', type: 'free-text', required: true }],
    },
  ],
  scoring: [
    { section: 'parathed', method: 'mean', categories: readiness },
    {
      section: 'anbefaling',
      method: 'count',
      countValue: 'true',
      categories: [
        { id: 'start', label: 'Skolestart som planlagt', max: 0 },
        { id: 'defer', label: 'Udsat skolestart anbefales', min: 1 },
      ],
    },
  ],
};

/** Every version of every built-in instrument. */
export const BUILT_IN_INSTRUMENTS: InstrumentDefinition[] = [wellbeing, wellbeingV2, development, language, languageV2, motor, motorV2, environment, environmentV2, schoolStart];
