//! English and French names of the indicators of Annex I of Resolution 03/NQ-CP (translated
//! for nqtrack from the Vietnamese of the annex; the Vietnamese stays the reference), by the
//! annex's number.

pub const NAMES: &[(&str, &str, &str)] = &[
    (
        "1",
        "Potential and level of science, technology and innovation",
        "Potentiel et niveau de la science, de la technologie et de l'innovation",
    ),
    (
        "2",
        "Technological and innovation level and capacity of enterprises",
        "Niveau et capacité technologiques et d'innovation des entreprises",
    ),
    (
        "3",
        "Fields of science and technology",
        "Domaines de la science et de la technologie",
    ),
    (
        "4",
        "Digital competitiveness ranking",
        "Classement de la compétitivité numérique",
    ),
    (
        "5",
        "E-government and digital government development index ranking",
        "Classement de l'indice de développement de l'administration électronique et numérique",
    ),
    (
        "6",
        "Ranking in artificial intelligence research and development; centres for digital technology industries in which Viet Nam has an advantage",
        "Classement en recherche et développement de l'intelligence artificielle ; centres de filières de l'industrie numérique où le Viet Nam est avantagé",
    ),
    (
        "7",
        "Digital technology enterprises on a par with those of advanced countries",
        "Entreprises du numérique au niveau de celles des pays avancés",
    ),
    (
        "8",
        "Contribution of total factor productivity (TFP) to economic growth",
        "Contribution de la productivité globale des facteurs (PGF) à la croissance économique",
    ),
    (
        "9",
        "Share of high-technology products in the value of goods exported",
        "Part des produits de haute technologie dans la valeur des exportations de biens",
    ),
    (
        "10",
        "Size of the digital economy",
        "Taille de l'économie numérique",
    ),
    (
        "11",
        "Administrative procedures, public services, direction and internal management carried out electronically",
        "Procédures administratives, services publics, direction et gestion interne réalisés par voie électronique",
    ),
    (
        "11.1",
        "Use of online public services by citizens and businesses",
        "Utilisation des services publics en ligne par les citoyens et les entreprises",
    ),
    (
        "11.2",
        "Share of eligible administrative procedures offered as fully online public services",
        "Part des procédures administratives éligibles proposées entièrement en ligne",
    ),
    (
        "11.3",
        "Share of valid files and results of administrative procedures",
        "Part des dossiers valides et des résultats des procédures administratives",
    ),
    (
        "11.4",
        "Share of administrative procedure results issued electronically",
        "Part des résultats de procédures administratives délivrés sous forme électronique",
    ),
    (
        "11.5",
        "Reuse of digitised information and data in administrative procedures and public services",
        "Réutilisation des informations et données numérisées dans les procédures et services publics",
    ),
    (
        "11.6",
        "Share of online payments in administrative procedures and public services",
        "Part des paiements en ligne dans les procédures et services publics",
    ),
    (
        "11.7",
        "Share of administrative procedures received and handled regardless of administrative boundaries, between the centre and localities and between levels of government",
        "Part des procédures reçues et traitées sans considération des limites administratives, entre le centre et les collectivités et entre niveaux d'administration",
    ),
    (
        "11.8",
        "Share of licensing procedures cut or automated",
        "Part des procédures d'autorisation supprimées ou automatisées",
    ),
    (
        "11.9",
        "Share of internal procedures between state bodies cut in licensing",
        "Part des procédures internes entre organismes publics supprimées dans les autorisations",
    ),
    (
        "11.10",
        "Share of documents and work files of state administrative bodies processed end to end electronically",
        "Part des documents et dossiers des administrations traités de bout en bout par voie électronique",
    ),
    (
        "11.11",
        "Share of tasks of administrative bodies followed, managed and supervised electronically",
        "Part des tâches des administrations suivies, gérées et contrôlées par voie électronique",
    ),
    (
        "11.12",
        "Share of state bodies directing, operating and managing internally in the digital environment",
        "Part des organismes publics dirigeant, opérant et gérant en interne dans l'environnement numérique",
    ),
    (
        "12",
        "Share of cashless transactions",
        "Part des transactions sans espèces",
    ),
    (
        "13",
        "Share of enterprises with innovation activities",
        "Part des entreprises ayant des activités d'innovation",
    ),
    (
        "14",
        "Science, technology and innovation contribute substantially to building and developing the cultural and social values and the people of Viet Nam",
        "La science, la technologie et l'innovation contribuent largement à bâtir les valeurs culturelles et sociales et l'humain au Viet Nam",
    ),
    (
        "15",
        "Spending on research and development (R&D)",
        "Dépenses de recherche et développement (R&D)",
    ),
    (
        "16",
        "Share of non-state funding in research and development (R&D) spending",
        "Part des financements non publics dans les dépenses de recherche et développement (R&D)",
    ),
    (
        "17",
        "Annual state budget spending on national science, technology, innovation and digital transformation",
        "Dépenses budgétaires annuelles pour la science, la technologie, l'innovation et la transformation numérique nationales",
    ),
    (
        "18",
        "Human resources in scientific research, technology development and innovation",
        "Ressources humaines en recherche scientifique, développement technologique et innovation",
    ),
    (
        "19",
        "Science and technology organisations ranked regionally and globally",
        "Organismes de science et de technologie classés au niveau régional et mondial",
    ),
    (
        "20",
        "Average growth of international scientific publications",
        "Croissance moyenne des publications scientifiques internationales",
    ),
    (
        "21",
        "Average growth of patent applications and patents granted",
        "Croissance moyenne des demandes de brevet et des brevets délivrés",
    ),
    (
        "22",
        "Share of patent applications and patents commercially exploited",
        "Part des demandes de brevet et des brevets exploités commercialement",
    ),
    ("23", "Digital infrastructure", "Infrastructure numérique"),
    (
        "23.1",
        "Share of users able to access fixed broadband above 1 Gb/s",
        "Part des utilisateurs pouvant accéder au haut débit fixe au-delà de 1 Gb/s",
    ),
    (
        "23.2",
        "New submarine fibre-optic cable routes brought into service",
        "Nouveaux câbles sous-marins à fibre optique mis en service",
    ),
    (
        "23.3",
        "Total design capacity of submarine fibre-optic cables",
        "Capacité nominale totale des câbles sous-marins à fibre optique",
    ),
    (
        "23.4",
        "5G coverage of the population",
        "Couverture de la population en 5G",
    ),
    (
        "24",
        "Smart cities completed in the centrally governed cities and in some qualified provinces and cities",
        "Villes intelligentes achevées dans les villes relevant du pouvoir central et dans certaines provinces et villes qui remplissent les conditions",
    ),
    (
        "25",
        "More leading world technology organisations and enterprises establishing headquarters, investing in research or producing in Viet Nam",
        "Davantage d'organismes et d'entreprises technologiques de premier plan installant leur siège, investissant dans la recherche ou produisant au Viet Nam",
    ),
    (
        "26",
        "State management from the centre to localities in the digital environment, connected and running smoothly between the bodies of the political system",
        "Gestion publique du centre aux collectivités dans l'environnement numérique, connectée et fluide entre les organismes du système politique",
    ),
    (
        "27",
        "National and sectoral databases completed, connected and shared consistently",
        "Bases de données nationales et sectorielles achevées, connectées et partagées de façon cohérente",
    ),
    (
        "28",
        "Data exchanges established",
        "Places de marché de données créées",
    ),
    (
        "29",
        "National data centres established",
        "Centres nationaux de données créés",
    ),
    (
        "30",
        "Population aged 15 and over with a bank account",
        "Population de 15 ans et plus titulaire d'un compte bancaire",
    ),
    (
        "31",
        "Share of the adult population with a digital or electronic personal signature",
        "Part de la population adulte dotée d'une signature numérique ou électronique personnelle",
    ),
    (
        "32",
        "Share of people with an electronic health record",
        "Part de la population disposant d'un dossier médical électronique",
    ),
    ("33", "Cybersecurity ranking", "Classement en cybersécurité"),
    (
        "34",
        "A leading science and technology research facility of the Public Security sector on a par with advanced countries, becoming a centre for research, design, manufacturing and, step by step, mastery of strategic technologies used in public security",
        "Un centre de recherche scientifique et technologique de premier plan de la Sécurité publique, au niveau des pays avancés, devenant un centre de recherche, de conception, de fabrication et, pas à pas, de maîtrise des technologies stratégiques utilisées par la Sécurité publique",
    ),
    (
        "35",
        "Share of Make in Vietnam in the revenue of Viet Nam's digital industry",
        "Part du « Make in Vietnam » dans le chiffre d'affaires de l'industrie numérique du Viet Nam",
    ),
    (
        "36",
        "Size of the digital economy",
        "Taille de l'économie numérique",
    ),
    (
        "37",
        "Global Innovation Index",
        "Indice mondial de l'innovation",
    ),
    (
        "38",
        "Density of digital technology enterprises",
        "Densité des entreprises du numérique",
    ),
    (
        "39",
        "Digital technology enterprises on a par with those of advanced countries",
        "Entreprises du numérique au niveau de celles des pays avancés",
    ),
    (
        "40",
        "More leading world technology organisations and enterprises establishing headquarters, investing in research or producing in Viet Nam",
        "Davantage d'organismes et d'entreprises technologiques de premier plan installant leur siège, investissant dans la recherche ou produisant au Viet Nam",
    ),
    (
        "41",
        "Mastery of some technologies in chips and semiconductors, artificial intelligence, robotics and automation, biology, chemistry, advanced materials and security technologies used to safeguard national security",
        "Maîtrise de certaines technologies des puces et semi-conducteurs, de l'intelligence artificielle, de la robotique et de l'automatisation, de la biologie, de la chimie, des matériaux avancés et des technologies de sécurité au service de la sécurité nationale",
    ),
];

/// The English and French names of the indicator numbered `number`, when known.
pub fn of(number: &str) -> Option<(&'static str, &'static str)> {
    NAMES
        .iter()
        .find(|(n, _, _)| *n == number)
        .map(|(_, en, fr)| (*en, *fr))
}
